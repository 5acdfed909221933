// wl_pointer: the window's pointer events as the viewer's WindowInput
// (positions in buffer pixels: surface-local times the buffer scale; axis
// values, sources and discrete steps grouped per wl_pointer.frame), and the
// guest's cursor as this window's cursor (wl_pointer.set_cursor with an shm
// surface).
#pragma once

#include "present/presenter.hpp"
#include "present/wayland_handles.hpp"

#include <cstdint>
#include <vector>

namespace vdmabuf::viewer {

class WaylandPointer {
public:
    // Events go to *queue; positions are scaled by *scale (the window's).
    WaylandPointer(std::vector<WindowInput>* queue, const int32_t* scale)
        : queue_(queue), scale_(scale) {}
    WaylandPointer(const WaylandPointer&) = delete;
    WaylandPointer& operator=(const WaylandPointer&) = delete;

    // The seat gained (pointer non-null) or lost (null) its pointer.
    void attach(wl_pointer* pointer, uint32_t seat_version);
    // For cursor surfaces and buffers; without both set_cursor() fails.
    void set_globals(wl_compositor* compositor, wl_shm* shm) {
        compositor_ = compositor;
        shm_ = shm;
    }
    // nullptr hides the cursor. False when it cannot be shown this way.
    bool set_cursor(const CursorPixels* image);

private:
    static void on_enter(void* data, wl_pointer*, uint32_t serial, wl_surface*, wl_fixed_t x,
                         wl_fixed_t y);
    static void on_leave(void* data, wl_pointer*, uint32_t, wl_surface*);
    static void on_motion(void* data, wl_pointer*, uint32_t, wl_fixed_t x, wl_fixed_t y);
    static void on_button(void* data, wl_pointer*, uint32_t, uint32_t, uint32_t button,
                          uint32_t state);
    static void on_axis(void* data, wl_pointer*, uint32_t, uint32_t axis, wl_fixed_t value);
    static void on_frame(void* data, wl_pointer*);
    static void on_axis_source(void* data, wl_pointer*, uint32_t source);
    static void on_axis_stop(void*, wl_pointer*, uint32_t, uint32_t) {}
    static void on_axis_discrete(void* data, wl_pointer*, uint32_t axis, int32_t discrete);
    void apply_cursor();
    void push(const WindowInput& in) { queue_->push_back(in); }

    static const wl_pointer_listener listener_;

    std::vector<WindowInput>* queue_;
    const int32_t* scale_;
    wl_compositor* compositor_ = nullptr;
    wl_shm* shm_ = nullptr;
    wl::Pointer pointer_;
    uint32_t version_ = 1;
    uint32_t enter_serial_ = 0;
    bool inside_ = false;
    // The axis events of the current frame (wl_pointer v5 groups them).
    struct Axis {
        bool set = false;
        int32_t value = 0; // 24.8
        int32_t discrete = 0;
    } axes_[2];
    uint32_t axis_source_ = 0;
    bool pending_frame_ = false;
    // The cursor: a surface showing an shm buffer; hidden when !shown_.
    wl::Surface cursor_surface_;
    wl::Buffer cursor_buffer_;
    uint32_t hotspot_x_ = 0, hotspot_y_ = 0;
    bool shown_ = true, have_image_ = false;
};

} // namespace vdmabuf::viewer
