#define VDM_LOG_SCOPE "client"
#include "client_window.hpp"

#include <cstdlib>
#include <cstring>

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::testclient {

namespace {

void registry_remove(void*, wl_registry*, uint32_t) {}
void wm_ping(void*, xdg_wm_base* wm, uint32_t serial) {
    xdg_wm_base_pong(wm, serial);
}

const wl_registry_listener kRegistryListener = {ClientWindow::registry_global, registry_remove};
const xdg_wm_base_listener kWmListener = {wm_ping};
const xdg_surface_listener kXdgSurfaceListener = {ClientWindow::surface_configure};
const xdg_toplevel_listener kToplevelListener = {ClientWindow::toplevel_configure,
                                                 ClientWindow::toplevel_close};

} // namespace

void ClientWindow::registry_global(void* data, wl_registry* registry, uint32_t name,
                                   const char* interface, uint32_t version) {
    auto* self = static_cast<ClientWindow*>(data);
    if (std::strcmp(interface, wl_compositor_interface.name) == 0 && version >= 4) {
        self->compositor_ = static_cast<wl_compositor*>(
            wl_registry_bind(registry, name, &wl_compositor_interface, 4));
    } else if (std::strcmp(interface, wl_shm_interface.name) == 0) {
        self->shm_ = static_cast<wl_shm*>(wl_registry_bind(registry, name, &wl_shm_interface, 1));
    } else if (std::strcmp(interface, wl_seat_interface.name) == 0 && self->want_seat_ &&
               !self->seat_ && version >= 5) {
        // v5: axis_source, axis_discrete, frame, repeat_info.
        self->seat_ = static_cast<wl_seat*>(wl_registry_bind(registry, name, &wl_seat_interface, 5));
        self->events_->seat_bound(self->seat_);
    } else if (std::strcmp(interface, xdg_wm_base_interface.name) == 0) {
        self->wm_base_ =
            static_cast<xdg_wm_base*>(wl_registry_bind(registry, name, &xdg_wm_base_interface, 1));
        xdg_wm_base_add_listener(self->wm_base_, &kWmListener, self);
    }
}

void ClientWindow::surface_configure(void* data, xdg_surface* surface, uint32_t serial) {
    xdg_surface_ack_configure(surface, serial);
    static_cast<ClientWindow*>(data)->events_->configured();
}

void ClientWindow::toplevel_configure(void* data, xdg_toplevel*, int32_t w, int32_t h,
                                      wl_array* states) {
    static_cast<ClientWindow*>(data)->events_->toplevel_configure(w, h, states);
}

void ClientWindow::toplevel_close(void* data, xdg_toplevel*) {
    static_cast<ClientWindow*>(data)->events_->closed();
}

bool ClientWindow::connect(WindowEvents& events, const char* title, const char* app_id,
                           bool want_seat) {
    events_ = &events;
    want_seat_ = want_seat;
    display_ = wl_display_connect(nullptr);
    if (!display_) {
        VDM_ERRNO("wl_display_connect(WAYLAND_DISPLAY=%s)",
                  std::getenv("WAYLAND_DISPLAY") ? std::getenv("WAYLAND_DISPLAY") : "(unset)");
        return false;
    }
    registry_ = wl_display_get_registry(display_);
    wl_registry_add_listener(registry_, &kRegistryListener, this);
    if (wl_display_roundtrip(display_) < 0)
        return false;
    if (!compositor_ || !shm_ || !wm_base_ || (want_seat && !seat_)) {
        VDM_ERROR("compositor lacks %s", !compositor_ ? "wl_compositor v4"
                                         : !shm_      ? "wl_shm"
                                         : !wm_base_  ? "xdg_wm_base"
                                                      : "wl_seat v5");
        return false;
    }
    surface_ = wl_compositor_create_surface(compositor_);
    xdg_surface_ = xdg_wm_base_get_xdg_surface(wm_base_, surface_);
    xdg_surface_add_listener(xdg_surface_, &kXdgSurfaceListener, this);
    toplevel_ = xdg_surface_get_toplevel(xdg_surface_);
    xdg_toplevel_add_listener(toplevel_, &kToplevelListener, this);
    xdg_toplevel_set_title(toplevel_, title);
    xdg_toplevel_set_app_id(toplevel_, app_id);
    wl_surface_commit(surface_);
    return true;
}

ClientWindow::~ClientWindow() {
    if (toplevel_)
        xdg_toplevel_destroy(toplevel_);
    if (xdg_surface_)
        xdg_surface_destroy(xdg_surface_);
    if (surface_)
        wl_surface_destroy(surface_);
    if (seat_)
        wl_seat_destroy(seat_);
    if (wm_base_)
        xdg_wm_base_destroy(wm_base_);
    if (shm_)
        wl_shm_destroy(shm_);
    if (compositor_)
        wl_compositor_destroy(compositor_);
    if (registry_)
        wl_registry_destroy(registry_);
    if (display_)
        wl_display_disconnect(display_);
}

} // namespace vdmabuf::testclient
