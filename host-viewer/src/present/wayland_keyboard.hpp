// wl_seat + wl_keyboard + xkbcommon: turns key presses into the viewer's
// three actions (F11 fullscreen, F12 screenshot, H HUD). Keysyms, not raw
// keycodes, so the user's layout decides which key is "h".
#pragma once

#include "present/wayland_handles.hpp"

#include <xkbcommon/xkbcommon.h>

#include <cstdint>
#include <utility>

namespace vdmabuf::viewer {

class WaylandKeyboard {
public:
    WaylandKeyboard();
    WaylandKeyboard(const WaylandKeyboard&) = delete;
    WaylandKeyboard& operator=(const WaylandKeyboard&) = delete;

    // Binds the registry's wl_seat global (the first one; one seat is enough).
    void bind_seat(wl_registry* registry, uint32_t name, uint32_t version);

    bool take_fullscreen() { return std::exchange(fullscreen_, false); }
    bool take_screenshot() { return std::exchange(screenshot_, false); }
    bool take_hud() { return std::exchange(hud_, false); }

private:
    static void on_capabilities(void* data, wl_seat* seat, uint32_t caps);
    static void on_seat_name(void*, wl_seat*, const char*) {}
    static void on_keymap(void* data, wl_keyboard*, uint32_t format, int32_t fd, uint32_t size);
    static void on_enter(void*, wl_keyboard*, uint32_t, wl_surface*, wl_array*) {}
    static void on_leave(void*, wl_keyboard*, uint32_t, wl_surface*) {}
    static void on_key(void* data, wl_keyboard*, uint32_t serial, uint32_t time, uint32_t key,
                       uint32_t state);
    static void on_modifiers(void* data, wl_keyboard*, uint32_t serial, uint32_t depressed,
                             uint32_t latched, uint32_t locked, uint32_t group);
    static void on_repeat_info(void*, wl_keyboard*, int32_t, int32_t) {}

    static const wl_seat_listener seat_listener_;
    static const wl_keyboard_listener keyboard_listener_;

    // Destruction order: the xkb state before its keymap before its context;
    // the keyboard before its seat.
    CHandle<xkb_context, &xkb_context_unref> xkb_;
    CHandle<xkb_keymap, &xkb_keymap_unref> keymap_;
    CHandle<xkb_state, &xkb_state_unref> state_;
    wl::Seat seat_;
    wl::Keyboard keyboard_;
    bool fullscreen_ = false, screenshot_ = false, hud_ = false;
};

} // namespace vdmabuf::viewer
