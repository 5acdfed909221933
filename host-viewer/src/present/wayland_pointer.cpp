#define VDM_LOG_SCOPE "wayland"
#include "present/wayland_pointer.hpp"

#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <vdmabuf_wire.h>

#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::viewer {

const wl_pointer_listener WaylandPointer::listener_ = {
    .enter = on_enter,
    .leave = on_leave,
    .motion = on_motion,
    .button = on_button,
    .axis = on_axis,
    .frame = on_frame,
    .axis_source = on_axis_source,
    .axis_stop = on_axis_stop,
    .axis_discrete = on_axis_discrete,
};

void WaylandPointer::attach(wl_pointer* pointer, uint32_t seat_version) {
    pointer_.reset(pointer);
    version_ = seat_version;
    inside_ = false;
    if (pointer)
        wl_pointer_add_listener(pointer, &listener_, this);
}

void WaylandPointer::on_enter(void* data, wl_pointer*, uint32_t serial, wl_surface*, wl_fixed_t x,
                              wl_fixed_t y) {
    auto* self = static_cast<WaylandPointer*>(data);
    self->enter_serial_ = serial;
    self->inside_ = true;
    self->apply_cursor();
    const double s = *self->scale_;
    self->push({VDMABUF_INPUT_ENTER, 0, 0, 0, 0, wl_fixed_to_double(x) * s,
                wl_fixed_to_double(y) * s});
    if (self->version_ < 5)
        on_frame(data, nullptr);
    else
        self->pending_frame_ = true;
}

void WaylandPointer::on_leave(void* data, wl_pointer*, uint32_t, wl_surface*) {
    auto* self = static_cast<WaylandPointer*>(data);
    self->inside_ = false;
    self->push({VDMABUF_INPUT_LEAVE});
}

void WaylandPointer::on_motion(void* data, wl_pointer*, uint32_t, wl_fixed_t x, wl_fixed_t y) {
    auto* self = static_cast<WaylandPointer*>(data);
    const double s = *self->scale_;
    self->push({VDMABUF_INPUT_MOTION, 0, 0, 0, 0, wl_fixed_to_double(x) * s,
                wl_fixed_to_double(y) * s});
    self->pending_frame_ = true;
    if (self->version_ < 5)
        on_frame(data, nullptr);
}

void WaylandPointer::on_button(void* data, wl_pointer*, uint32_t, uint32_t, uint32_t button,
                               uint32_t state) {
    auto* self = static_cast<WaylandPointer*>(data);
    // Wayland buttons are evdev codes already.
    self->push({VDMABUF_INPUT_BUTTON, button, state == WL_POINTER_BUTTON_STATE_PRESSED ? 1u : 0u});
    self->pending_frame_ = true;
    if (self->version_ < 5)
        on_frame(data, nullptr);
}

void WaylandPointer::on_axis(void* data, wl_pointer*, uint32_t, uint32_t axis, wl_fixed_t value) {
    auto* self = static_cast<WaylandPointer*>(data);
    if (axis > 1)
        return;
    self->axes_[axis].set = true;
    self->axes_[axis].value += value; // wl_fixed_t is 24.8, as the wire
    self->pending_frame_ = true;
    if (self->version_ < 5)
        on_frame(data, nullptr);
}

void WaylandPointer::on_axis_source(void* data, wl_pointer*, uint32_t source) {
    static_cast<WaylandPointer*>(data)->axis_source_ = source;
}

void WaylandPointer::on_axis_discrete(void* data, wl_pointer*, uint32_t axis, int32_t discrete) {
    auto* self = static_cast<WaylandPointer*>(data);
    if (axis <= 1)
        self->axes_[axis].discrete += discrete;
}

void WaylandPointer::on_frame(void* data, wl_pointer*) {
    auto* self = static_cast<WaylandPointer*>(data);
    for (uint32_t a = 0; a < 2; ++a) {
        Axis& x = self->axes_[a];
        if (x.set)
            self->push({VDMABUF_INPUT_AXIS, a, self->axis_source_, uint32_t(x.value),
                        uint32_t(x.discrete)});
        x = {};
    }
    self->axis_source_ = 0;
    if (self->pending_frame_)
        self->push({VDMABUF_INPUT_FRAME});
    self->pending_frame_ = false;
}

bool WaylandPointer::set_cursor(const CursorPixels* image) {
    if (!compositor_ || !shm_)
        return false;
    shown_ = image != nullptr;
    if (image) {
        const size_t size = size_t(image->width) * image->height * 4;
        UniqueFd fd(memfd_create("vdmabuf-viewer-cursor", MFD_CLOEXEC));
        if (!fd || ftruncate(fd.get(), off_t(size)) < 0) {
            VDM_ERRNO("cursor memfd");
            return false;
        }
        {
            Mapping map = Mapping::map(fd.get(), size, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
            if (!map)
                return false;
            std::memcpy(map.get(), image->argb.data(), size);
        }
        wl::ShmPool pool(wl_shm_create_pool(shm_, fd.get(), int32_t(size)));
        // WL_SHM_FORMAT_ARGB8888 is premultiplied, as the guest's cursor is.
        cursor_buffer_.reset(wl_shm_pool_create_buffer(pool.get(), 0, int32_t(image->width),
                                                       int32_t(image->height),
                                                       int32_t(image->width * 4),
                                                       WL_SHM_FORMAT_ARGB8888));
        if (!cursor_surface_)
            cursor_surface_.reset(wl_compositor_create_surface(compositor_));
        wl_surface_attach(cursor_surface_.get(), cursor_buffer_.get(), 0, 0);
        wl_surface_damage(cursor_surface_.get(), 0, 0, INT32_MAX, INT32_MAX);
        wl_surface_commit(cursor_surface_.get());
        hotspot_x_ = image->hotspot_x;
        hotspot_y_ = image->hotspot_y;
        have_image_ = true;
    }
    apply_cursor();
    return true;
}

void WaylandPointer::apply_cursor() {
    // The cursor can only be set while the pointer is over our surface, with
    // the serial of its enter; the next enter applies it otherwise.
    if (!pointer_ || !inside_ || (shown_ && !have_image_))
        return;
    if (shown_)
        wl_pointer_set_cursor(pointer_.get(), enter_serial_, cursor_surface_.get(),
                              int32_t(hotspot_x_), int32_t(hotspot_y_));
    else
        wl_pointer_set_cursor(pointer_.get(), enter_serial_, nullptr, 0, 0);
}

} // namespace vdmabuf::viewer
