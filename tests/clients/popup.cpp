#define VDM_LOG_SCOPE "popup"
#include "popup.hpp"

#include "pattern.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::testclient {

namespace {
const xdg_surface_listener kSurfaceListener = {Popup::configure};
const xdg_popup_listener kPopupListener = {Popup::popup_configure, Popup::popup_done};
} // namespace

std::unique_ptr<Popup> Popup::create(ClientWindow& parent, int32_t x, int32_t y, uint32_t width,
                                     uint32_t height) {
    std::unique_ptr<Popup> p(new Popup);
    p->width_ = width;
    p->height_ = height;
    p->buffer_ = ShmBuffer::create(parent.shm(), width, height, WL_SHM_FORMAT_ARGB8888);
    if (!p->buffer_)
        return nullptr;
    p->draw();
    p->surface_ = wl_compositor_create_surface(parent.compositor());
    wl_region* opaque = wl_compositor_create_region(parent.compositor());
    wl_region_add(opaque, 0, 0, int32_t(width), int32_t(height / 2));
    wl_surface_set_opaque_region(p->surface_, opaque);
    wl_region_destroy(opaque);
    p->xdg_surface_ = xdg_wm_base_get_xdg_surface(parent.wm_base(), p->surface_);
    xdg_surface_add_listener(p->xdg_surface_, &kSurfaceListener, p.get());
    xdg_positioner* positioner = xdg_wm_base_create_positioner(parent.wm_base());
    xdg_positioner_set_size(positioner, int32_t(width), int32_t(height));
    xdg_positioner_set_anchor_rect(positioner, x, y, 1, 1);
    xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_TOP_LEFT);
    xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
    p->popup_ = xdg_surface_get_popup(p->xdg_surface_, parent.xdg(), positioner);
    xdg_positioner_destroy(positioner);
    xdg_popup_add_listener(p->popup_, &kPopupListener, p.get());
    wl_surface_commit(p->surface_);
    return p;
}

void Popup::draw() {
    for (uint32_t y = 0; y < height_; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(buffer_->pixels() + size_t(y) * buffer_->stride());
        for (uint32_t x = 0; x < width_; ++x) {
            const uint32_t rgb = ((x * 5) & 0xff) << 16 | ((y * 3) & 0xff) << 8 | 0x40;
            row[x] = y < height_ / 2 ? 0xff000000u | rgb : 0x80000000u | ((rgb >> 1) & 0x7f7f7fu);
        }
    }
    auto* first = reinterpret_cast<uint32_t*>(buffer_->pixels());
    first[0] = 0xff000000u | pattern::kLocatorMagic;
}

void Popup::configure(void* data, xdg_surface* surface, uint32_t serial) {
    auto* self = static_cast<Popup*>(data);
    xdg_surface_ack_configure(surface, serial);
    if (self->shown_)
        return;
    self->shown_ = true;
    wl_surface_attach(self->surface_, self->buffer_->buffer(), 0, 0);
    wl_surface_damage_buffer(self->surface_, 0, 0, int32_t(self->width_), int32_t(self->height_));
    wl_surface_commit(self->surface_);
}

void Popup::popup_done(void* data, xdg_popup*) {
    VDM_INFO("popup dismissed by the compositor");
    static_cast<Popup*>(data)->shown_ = true; // nothing more to draw
}

Popup::~Popup() {
    if (popup_)
        xdg_popup_destroy(popup_);
    if (xdg_surface_)
        xdg_surface_destroy(xdg_surface_);
    if (surface_)
        wl_surface_destroy(surface_);
}

} // namespace vdmabuf::testclient
