#define VDM_LOG_SCOPE "cursor"
#include "input/host_cursor.hpp"

#include "output.hpp"
#include "server.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cmath>

namespace vdmabuf::compositor {

HostCursor::HostCursor(Server& server) : server_(server) {
    xcursor_.reset(wlr_xcursor_manager_create(nullptr, 24));
    if (xcursor_ && !wlr_xcursor_manager_load(xcursor_.get(), 1))
        VDM_INFO("no xcursor theme loaded; the cursor is a built-in arrow");
    use_default();
}

HostCursor::~HostCursor() = default;

frontend::Device* HostCursor::device() {
    frontend::Device* device = server_.link_.device();
    if (!device || !(device->features() & (1ull << VDMABUF_F_CURSOR)))
        return nullptr;
    return device;
}

void HostCursor::use_default() {
    surface_commit_.disconnect();
    surface_destroy_.disconnect();
    surface_ = nullptr;
    wlr_xcursor* xcursor =
        xcursor_ ? wlr_xcursor_manager_get_xcursor(xcursor_.get(), "left_ptr", 1) : nullptr;
    if (xcursor && xcursor->image_count > 0) {
        const wlr_xcursor_image* x = xcursor->images[0];
        set_image(make_cursor_image(x->buffer, x->width, x->height, x->width * 4,
                                    static_cast<int32_t>(x->hotspot_x),
                                    static_cast<int32_t>(x->hotspot_y), false));
    } else {
        set_image(builtin_arrow());
    }
}

void HostCursor::use_surface(wlr_surface* surface, int32_t hotspot_x, int32_t hotspot_y) {
    surface_commit_.disconnect();
    surface_destroy_.disconnect();
    surface_ = surface;
    surface_hotspot_x_ = hotspot_x;
    surface_hotspot_y_ = hotspot_y;
    if (!surface) {
        set_image(CursorImage{}); // hidden
        return;
    }
    surface_commit_.connect(&surface->events.commit, [this](void*) { read_surface(); });
    surface_destroy_.connect(&surface->events.destroy, [this](void*) {
        surface_commit_.disconnect();
        surface_destroy_.disconnect();
        surface_ = nullptr;
        set_image(CursorImage{});
    });
    read_surface();
}

void HostCursor::read_surface() {
    wlr_texture* texture = wlr_surface_get_texture(surface_);
    if (!texture || !wlr_texture_is_pixman(texture)) {
        // No buffer attached (yet): nothing to show.
        set_image(CursorImage{});
        return;
    }
    pixman_image_t* source = wlr_pixman_texture_get_image(texture);
    const int width = pixman_image_get_width(source);
    const int height = pixman_image_get_height(source);
    if (width <= 0 || height <= 0) {
        set_image(CursorImage{});
        return;
    }
    // Whatever the client's shm format, composite it into premultiplied ARGB8888.
    pixman_image_t* argb =
        pixman_image_create_bits(PIXMAN_a8r8g8b8, width, height, nullptr, width * 4);
    if (!argb) {
        VDM_ERROR("pixman_image_create_bits %dx%d for a cursor failed", width, height);
        return;
    }
    pixman_image_composite32(PIXMAN_OP_SRC, source, nullptr, argb, 0, 0, 0, 0, 0, 0, width,
                             height);
    const int32_t scale = std::max<int32_t>(1, surface_->current.scale);
    set_image(make_cursor_image(reinterpret_cast<const uint8_t*>(pixman_image_get_data(argb)),
                                static_cast<uint32_t>(width), static_cast<uint32_t>(height),
                                static_cast<uint32_t>(pixman_image_get_stride(argb)),
                                surface_hotspot_x_ * scale, surface_hotspot_y_ * scale, false));
    pixman_image_unref(argb);
}

void HostCursor::set_image(CursorImage image) {
    if (image.width == image_.width && image.height == image_.height &&
        image.hotspot_x == image_.hotspot_x && image.hotspot_y == image_.hotspot_y &&
        image.pixels == image_.pixels)
        return; // e.g. the same theme arrow again
    image_ = std::move(image);
    ++serial_;
    VDM_DEBUG("cursor image %ux%u hotspot %u,%u (serial %llu)", image_.width, image_.height,
              image_.hotspot_x, image_.hotspot_y, static_cast<unsigned long long>(serial_));
    sync();
}

void HostCursor::move_to(double lx, double ly) {
    lx_ = lx;
    ly_ = ly;
    positioned_ = true;
    sync();
}

void HostCursor::resend() {
    sent_.fill(Sent{});
    sync();
}

void HostCursor::forget_output(uint32_t index) {
    if (index < sent_.size())
        sent_[index] = Sent{};
    if (output_ == index)
        output_.reset();
}

void HostCursor::sync() {
    if (!positioned_)
        return; // no pointer yet: the host shows no guest cursor
    wlr_output* wlr = wlr_output_layout_output_at(server_.layout_.get(), lx_, ly_);
    Output* now = wlr ? static_cast<Output*>(wlr->data) : nullptr;
    frontend::Device* dev = device();
    if (output_ && (!now || now->index() != *output_)) {
        // The pointer left that output: its host window hides the cursor.
        Sent& old = sent_[*output_];
        if (dev && old.visible && dev->move_cursor(*output_, old.position ? (*old.position)[0] : 0,
                                                   old.position ? (*old.position)[1] : 0, false))
            old.visible = false;
        output_.reset();
    }
    if (!now || !dev)
        return;
    output_ = now->index();
    Sent& sent = sent_[now->index()];
    if (sent.serial != serial_) {
        if (!dev->set_cursor(now->index(), image_.width, image_.height, image_.hotspot_x,
                             image_.hotspot_y, image_.pixels)) {
            VDM_ERRNO("CURSOR_SET %ux%u on output %u", image_.width, image_.height, now->index());
            return;
        }
        sent.serial = serial_;
        ++images_sent_;
    }
    const wlr_box* box = wlr_output_layout_get_box(server_.layout_.get(), now->wlr());
    const std::array<int32_t, 2> position{
        static_cast<int32_t>(std::floor(lx_ - (box ? box->x : 0))),
        static_cast<int32_t>(std::floor(ly_ - (box ? box->y : 0)))};
    const bool visible = image_.width > 0;
    if (sent.position == position && sent.visible == visible)
        return;
    if (!dev->move_cursor(now->index(), position[0], position[1], visible)) {
        VDM_ERRNO("CURSOR_MOVE on output %u", now->index());
        return;
    }
    sent.position = position;
    sent.visible = visible;
}

} // namespace vdmabuf::compositor
