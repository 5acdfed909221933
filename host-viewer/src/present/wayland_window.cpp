#define VDM_LOG_SCOPE "wayland"
#include "present/wayland_window.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <drm_fourcc.h>

namespace vdmabuf::viewer {
namespace {

template <class T> T* bind(wl_registry* r, uint32_t name, const wl_interface* iface, uint32_t v) {
    return static_cast<T*>(wl_registry_bind(r, name, iface, v));
}

} // namespace

std::unique_ptr<WaylandWindow> WaylandWindow::connect(std::string* why) {
    static const wl_registry_listener registry_listener = {
        .global = on_global,
        .global_remove = on_global_remove,
    };
    std::unique_ptr<WaylandWindow> w(new WaylandWindow);
    w->display_.reset(wl_display_connect(nullptr));
    if (!w->display_) {
        *why = std::string("wl_display_connect failed: ") + std::strerror(errno);
        return nullptr;
    }
    w->registry_.reset(wl_display_get_registry(w->display()));
    wl_registry_add_listener(w->registry_.get(), &registry_listener, w.get());
    // Two round trips: the globals, then what binding them sent (scales, seat).
    if (wl_display_roundtrip(w->display()) < 0 || wl_display_roundtrip(w->display()) < 0) {
        *why = "the compositor went away during setup";
        return nullptr;
    }
    if (!w->compositor_ || !w->wm_base_) {
        *why = "the compositor lacks wl_compositor v3+ or xdg_wm_base";
        return nullptr;
    }
    w->pointer_.set_globals(w->compositor_.get(), w->shm_.get());
    return w;
}

WaylandWindow::~WaylandWindow() {
    if (reading_ && display_)
        wl_display_cancel_read(display_.get());
}

void WaylandWindow::on_global(void* data, wl_registry* r, uint32_t name, const char* iface,
                              uint32_t v) {
    static const xdg_wm_base_listener wm_listener = {.ping = on_ping};
    static const wl_output_listener output_listener = {
        .geometry = [](void*, wl_output*, int32_t, int32_t, int32_t, int32_t, int32_t, const char*,
                       const char*, int32_t) {},
        .mode = [](void*, wl_output*, uint32_t, int32_t, int32_t, int32_t) {},
        .done = [](void*, wl_output*) {},
        .scale = on_output_scale,
    };
    auto* self = static_cast<WaylandWindow*>(data);
    std::string_view i(iface);
    if (i == wl_compositor_interface.name && v >= 3) {
        self->compositor_version_ = std::min(v, 4u);
        self->compositor_.reset(
            bind<wl_compositor>(r, name, &wl_compositor_interface, self->compositor_version_));
    } else if (i == wl_subcompositor_interface.name) {
        self->subcompositor_.reset(bind<wl_subcompositor>(r, name, &wl_subcompositor_interface, 1));
    } else if (i == wp_viewporter_interface.name) {
        self->viewporter_.reset(bind<wp_viewporter>(r, name, &wp_viewporter_interface, 1));
    } else if (i == xdg_wm_base_interface.name) {
        self->wm_base_.reset(bind<xdg_wm_base>(r, name, &xdg_wm_base_interface, 1));
        xdg_wm_base_add_listener(self->wm_base_.get(), &wm_listener, self);
    } else if (i == zxdg_decoration_manager_v1_interface.name) {
        self->decoration_manager_.reset(
            bind<zxdg_decoration_manager_v1>(r, name, &zxdg_decoration_manager_v1_interface, 1));
    } else if (i == wp_presentation_interface.name) {
        self->presentation_.reset(bind<wp_presentation>(r, name, &wp_presentation_interface, 1));
    } else if (i == wl_output_interface.name && v >= 2) {
        Output& o = self->outputs_.emplace_back();
        o.name = name;
        o.proxy.reset(bind<wl_output>(r, name, &wl_output_interface, 2));
        wl_output_add_listener(o.proxy.get(), &output_listener, &o);
    } else if (i == wl_shm_interface.name) {
        static const wl_shm_listener shm_listener = {
            .format = [](void* window, wl_shm*, uint32_t format) {
                static_cast<WaylandWindow*>(window)->shm_formats_.insert(format);
            },
        };
        self->shm_.reset(bind<wl_shm>(r, name, &wl_shm_interface, 1));
        wl_shm_add_listener(self->shm_.get(), &shm_listener, self);
    } else if (i == zwp_linux_dmabuf_v1_interface.name) {
        self->dmabuf_.bind(r, name, v);
    } else if (i == wl_seat_interface.name) {
        self->keyboard_.bind_seat(r, name, v);
    }
}

void WaylandWindow::on_global_remove(void* data, wl_registry*, uint32_t name) {
    auto* self = static_cast<WaylandWindow*>(data);
    for (auto it = self->outputs_.begin(); it != self->outputs_.end(); ++it)
        if (it->name == name) {
            self->entered_.erase(it->proxy.get());
            self->outputs_.erase(it);
            self->update_scale();
            return;
        }
}

void WaylandWindow::on_ping(void*, xdg_wm_base* wm, uint32_t serial) {
    xdg_wm_base_pong(wm, serial);
}

void WaylandWindow::on_output_scale(void* data, wl_output*, int32_t factor) {
    static_cast<Output*>(data)->scale = std::max(1, factor);
}

bool WaylandWindow::create_toplevel(const std::string& title, bool fullscreen,
                                    bool pass_through) {
    static const wl_surface_listener surface_listener = {.enter = on_enter, .leave = on_leave};
    static const xdg_surface_listener xdg_surface_listener = {.configure = on_surface_configure};
    static const xdg_toplevel_listener toplevel_listener = {
        .configure = on_toplevel_configure,
        .close = on_close,
    };
    surface_.reset(wl_compositor_create_surface(compositor_.get()));
    wl_surface_add_listener(surface_.get(), &surface_listener, this);
    // Opaque: llvmpipe may pick an ARGB config; the letterbox bars are black anyway.
    wl::Region region(wl_compositor_create_region(compositor_.get()));
    wl_region_add(region.get(), 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_set_opaque_region(surface_.get(), region.get());
    xdg_surface_.reset(xdg_wm_base_get_xdg_surface(wm_base_.get(), surface_.get()));
    xdg_surface_add_listener(xdg_surface_.get(), &xdg_surface_listener, this);
    toplevel_.reset(xdg_surface_get_toplevel(xdg_surface_.get()));
    xdg_toplevel_add_listener(toplevel_.get(), &toplevel_listener, this);
    xdg_toplevel_set_app_id(toplevel_.get(), "vdmabuf-viewer");
    set_title(title);
    if (decoration_manager_) {
        decoration_.reset(zxdg_decoration_manager_v1_get_toplevel_decoration(
            decoration_manager_.get(), toplevel_.get()));
        zxdg_toplevel_decoration_v1_set_mode(decoration_.get(),
                                             ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
    }
    if (fullscreen)
        xdg_toplevel_set_fullscreen(toplevel_.get(), nullptr);
    // xdg-shell: commit without a buffer, attach only after the first configure.
    wl_surface_commit(surface_.get());
    for (int i = 0; i < 50 && !configured_; ++i)
        if (wl_display_roundtrip(display()) < 0)
            return check_connection();
    if (!configured_) {
        VDM_ERROR("the compositor never configured the toplevel");
        return false;
    }
    egl_window_.reset(wl_egl_window_create(surface_.get(), int(buffer_width()), int(buffer_height())));
    if (!egl_window_) {
        VDM_ERROR("wl_egl_window_create failed");
        return false;
    }
    if (pass_through) {
        std::string why;
        shm_view_ = WaylandShmView::create({display(), compositor_.get(), compositor_version_,
                                            subcompositor_.get(), viewporter_.get(), shm_.get(),
                                            surface_.get(), &scale_, &shm_formats_, &dmabuf_,
                                            presentation_.get()},
                                           &why);
        if (!shm_view_)
            VDM_INFO("no wl_shm pass-through: %s; every frame is drawn with GL", why.c_str());
        else if (dmabuf_.bound())
            VDM_INFO("zwp_linux_dmabuf_v1: %s", dmabuf_.describe(DRM_FORMAT_XRGB8888).c_str());
        else
            VDM_INFO("no zwp_linux_dmabuf_v1 version 3+: dma-bufs cannot go to the compositor");
    } else {
        VDM_INFO("no wl_shm pass-through nor wl_shm copy (--no-pass-through): every frame is "
                 "drawn with GL");
    }
    return true;
}

void WaylandWindow::set_title(const std::string& title) {
    if (toplevel_)
        xdg_toplevel_set_title(toplevel_.get(), title.c_str());
}

void WaylandWindow::toggle_fullscreen() {
    if (fullscreen_)
        xdg_toplevel_unset_fullscreen(toplevel_.get());
    else
        xdg_toplevel_set_fullscreen(toplevel_.get(), nullptr);
}

void WaylandWindow::set_content_size(uint32_t width, uint32_t height) {
    const bool first = !content_width_;
    content_width_ = width;
    content_height_ = height;
    if (compositor_sized_) {
        // Sized before the first frame (--fullscreen, a kiosk or tiling
        // compositor): the guest is asked for that size too, as after any
        // later resize (and as an X11 window the window manager sizes).
        if (first && (width != width_ || height != height_))
            resized_ = true;
        return;
    }
    if (width == width_ && height == height_)
        return;
    width_ = width;
    height_ = height;
    apply_size();
}

void WaylandWindow::apply_size() {
    // Buffer scale is double-buffered: it lands with the next swap's commit,
    // together with the buffer of the new size.
    wl_surface_set_buffer_scale(surface_.get(), scale_);
    if (egl_window_)
        wl_egl_window_resize(egl_window_.get(), int(buffer_width()), int(buffer_height()), 0, 0);
    redraw_ = true;
}

void WaylandWindow::update_scale() {
    int32_t scale = 1;
    for (const Output& o : outputs_)
        if (entered_.count(o.proxy.get()))
            scale = std::max(scale, o.scale);
    if (scale != scale_ && surface_) {
        scale_ = scale;
        apply_size();
    }
}

void WaylandWindow::on_enter(void* data, wl_surface*, wl_output* output) {
    auto* self = static_cast<WaylandWindow*>(data);
    self->entered_.insert(output);
    self->update_scale();
}

void WaylandWindow::on_leave(void* data, wl_surface*, wl_output* output) {
    auto* self = static_cast<WaylandWindow*>(data);
    self->entered_.erase(output);
    self->update_scale();
}

void WaylandWindow::on_toplevel_configure(void* data, xdg_toplevel*, int32_t w, int32_t h,
                                          wl_array* states) {
    auto* self = static_cast<WaylandWindow*>(data);
    self->pending_width_ = w;
    self->pending_height_ = h;
    self->pending_fullscreen_ = false;
    const auto* s = static_cast<const uint32_t*>(states->data);
    for (size_t k = 0; k < states->size / sizeof(uint32_t); ++k)
        self->pending_fullscreen_ |= s[k] == XDG_TOPLEVEL_STATE_FULLSCREEN;
}

void WaylandWindow::on_surface_configure(void* data, xdg_surface* s, uint32_t serial) {
    auto* self = static_cast<WaylandWindow*>(data);
    xdg_surface_ack_configure(s, serial);
    self->fullscreen_ = self->pending_fullscreen_;
    self->compositor_sized_ = self->pending_width_ > 0 && self->pending_height_ > 0;
    if (self->compositor_sized_) {
        // After the first frame sized us, a size the compositor picks is a resize.
        if (self->content_width_ && (uint32_t(self->pending_width_) != self->width_ ||
                                     uint32_t(self->pending_height_) != self->height_))
            self->resized_ = true;
        self->width_ = uint32_t(self->pending_width_);
        self->height_ = uint32_t(self->pending_height_);
    } else if (self->content_width_) {
        // 0x0: ours to choose; the guest frame's size.
        self->width_ = self->content_width_;
        self->height_ = self->content_height_;
    }
    self->configured_ = true;
    self->apply_size();
}

void WaylandWindow::on_close(void* data, xdg_toplevel*) {
    static_cast<WaylandWindow*>(data)->closed_ = true;
}

uint64_t WaylandWindow::before_swap() {
    ++swaps_;
    if (!presentation_)
        return swaps_;
    static const wp_presentation_feedback_listener listener = {
        .sync_output = [](void*, struct wp_presentation_feedback*, wl_output*) {},
        .presented = on_presented,
        .discarded = on_discarded,
    };
    // A compositor that never answers (hidden window) must not grow this list.
    if (feedback_.size() >= 64) {
        completed_ = std::max(completed_, feedback_.front().frame);
        feedback_.pop_front();
    }
    PendingFeedback& f = feedback_.emplace_back(PendingFeedback{this, swaps_, {}});
    f.proxy.reset(wp_presentation_feedback(presentation_.get(), surface_.get()));
    wp_presentation_feedback_add_listener(f.proxy.get(), &listener, &f);
    return swaps_;
}

void WaylandWindow::feedback_done(PendingFeedback* f) {
    completed_ = std::max(completed_, f->frame);
    feedback_.remove_if([f](const PendingFeedback& p) { return &p == f; });
}

void WaylandWindow::on_presented(void* data, struct wp_presentation_feedback*, uint32_t, uint32_t,
                                 uint32_t, uint32_t, uint32_t, uint32_t, uint32_t) {
    auto* f = static_cast<PendingFeedback*>(data);
    f->window->feedback_done(f);
}

void WaylandWindow::on_discarded(void* data, struct wp_presentation_feedback*) {
    auto* f = static_cast<PendingFeedback*>(data);
    f->window->feedback_done(f);
}

void WaylandWindow::prepare_read() {
    wl_display* d = display();
    if (closed_ || reading_)
        return;
    while (wl_display_prepare_read(d) != 0)
        if (wl_display_dispatch_pending(d) < 0) {
            check_connection();
            return;
        }
    reading_ = true;
    // EAGAIN (socket full) is fine: the rest goes with the next flush.
    if (wl_display_flush(d) < 0 && errno != EAGAIN)
        check_connection();
}

void WaylandWindow::dispatch(bool readable) {
    wl_display* d = display();
    if (reading_) {
        reading_ = false;
        if (readable ? wl_display_read_events(d) < 0 : (wl_display_cancel_read(d), false)) {
            check_connection();
            return;
        }
    }
    if (wl_display_dispatch_pending(d) < 0)
        check_connection();
}

bool WaylandWindow::check_connection() {
    int err = wl_display_get_error(display());
    if (err && !closed_) {
        VDM_ERROR("Wayland connection lost: %s", std::strerror(err));
        closed_ = true; // nothing more can be shown: quit like a closed window
    }
    return false;
}

} // namespace vdmabuf::viewer
