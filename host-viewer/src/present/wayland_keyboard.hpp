// wl_seat + wl_keyboard + xkbcommon: forwards keys (evdev codes as the
// compositor sends them) and keeps the viewer's own Ctrl+Alt combinations
// (F fullscreen, G keyboard grab, S screenshot, H HUD), never forwarded.
// Keysyms, not raw keycodes, so the user's layout decides which key is "h".
// The seat's pointer goes to a WaylandPointer.
#pragma once

#include "present/presenter.hpp"
#include "present/wayland_handles.hpp"
#include "present/wayland_pointer.hpp"

#include <xkbcommon/xkbcommon.h>

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

namespace vdmabuf::viewer {

class WaylandKeyboard {
public:
    // Forwarded keys go to *queue; the seat's pointer to *pointer.
    WaylandKeyboard(std::vector<WindowInput>* queue, WaylandPointer* pointer);
    WaylandKeyboard(const WaylandKeyboard&) = delete;
    WaylandKeyboard& operator=(const WaylandKeyboard&) = delete;

    // Binds the registry's wl_seat global (the first one; one seat is enough).
    void bind_seat(wl_registry* registry, uint32_t name, uint32_t version);

    bool take_fullscreen() { return std::exchange(fullscreen_, false); }
    bool take_screenshot() { return std::exchange(screenshot_, false); }
    bool take_hud() { return std::exchange(hud_, false); }
    bool take_grab() { return std::exchange(grab_, false); }

private:
    static void on_capabilities(void* data, wl_seat* seat, uint32_t caps);
    static void on_seat_name(void*, wl_seat*, const char*) {}
    static void on_keymap(void* data, wl_keyboard*, uint32_t format, int32_t fd, uint32_t size);
    static void on_enter(void*, wl_keyboard*, uint32_t, wl_surface*, wl_array*) {}
    static void on_leave(void* data, wl_keyboard*, uint32_t, wl_surface*);
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
    std::vector<WindowInput>* queue_;
    WaylandPointer* pointer_;
    wl::Seat seat_;
    wl::Keyboard keyboard_;
    uint32_t seat_version_ = 1;
    bool has_pointer_ = false;
    std::set<uint32_t> shortcut_keys_; // pressed as a viewer combination: release not forwarded
    bool fullscreen_ = false, screenshot_ = false, hud_ = false, grab_ = false;
};

} // namespace vdmabuf::viewer
