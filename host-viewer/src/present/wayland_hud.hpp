// The HUD on the Wayland window: a subsurface of the content subsurface, so
// it sits above the frame at the picture's top-left corner (its position 0,0
// in the content surface's coordinates). It lives in surface coordinates:
// the content's wp_viewport scales the frame's buffer, never this surface,
// whose buffers are drawn at the window's buffer scale. Two small ARGB8888
// wl_shm buffers of its own (a sealed memfd each), written only when the
// text changes (once a second) and only while the compositor does not hold
// them; nothing per frame. It shows while the content surface does.
#pragma once

#include "hud/hud_image.hpp"
#include "present/wayland_handles.hpp"

#include <vdmabuf/shared/c_handle.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace vdmabuf::viewer {

class WaylandHud {
public:
    // content: the surface it goes above (its parent).
    WaylandHud(wl_compositor* compositor, wl_subcompositor* subcompositor, wl_shm* shm,
               wl_surface* content);
    ~WaylandHud() = default;
    WaylandHud(const WaylandHud&) = delete;
    WaylandHud& operator=(const WaylandHud&) = delete;

    // The text (empty: hide), wrapped to fit width buffer pixels, drawn at
    // `scale` (the window's buffer scale). Redrawn only when any changed; a
    // change that finds both buffers held waits for the next call.
    void set(const std::string& text, uint32_t width, int32_t scale);
    // Attaches NULL: the compositor shows nothing of it (and releases its buffer).
    void hide();
    [[nodiscard]] bool shown() const noexcept { return shown_; }

private:
    struct Slot {
        WaylandHud* hud = nullptr;
        wl::Buffer proxy;
        Mapping memory;
        uint32_t width = 0, height = 0;
        bool held = false; // attached, its wl_buffer.release not come yet
    };
    // A free slot holding a width x height buffer (made anew if its size
    // differs); nullptr when both are held or memory ran out (logged).
    Slot* free_slot(uint32_t width, uint32_t height);
    static void on_release(void* data, wl_buffer* buffer);

    wl_shm* shm_;
    wl::Surface surface_;
    wl::Subsurface subsurface_;
    std::array<Slot, 2> slots_; // after the surface: buffers go first
    std::string text_;          // what the shown buffer says
    uint32_t width_ = 0;
    int32_t scale_ = 1;
    bool shown_ = false;
};

} // namespace vdmabuf::viewer
