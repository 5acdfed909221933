// The Wayland side both test clients share: the connection, the globals they
// bind (wl_compositor v4, wl_shm, xdg_wm_base and, on request, wl_seat v5),
// ping/pong, and one xdg toplevel whose configures are acked here and then
// handed to the owner's WindowEvents.
#pragma once

#include <cstdint>

#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

namespace vdmabuf::testclient {

class WindowEvents {
public:
    // After xdg_surface.configure has been acked.
    virtual void configured() = 0;
    virtual void toplevel_configure(int32_t /*w*/, int32_t /*h*/, wl_array* /*states*/) {}
    virtual void closed() = 0;
    // The seat was just bound (only with want_seat): add its listener now, so
    // that its first capabilities event, due in the bind round trip, arrives.
    virtual void seat_bound(wl_seat* /*seat*/) {}

protected:
    ~WindowEvents() = default;
};

class ClientWindow {
public:
    ClientWindow() = default;
    ~ClientWindow();
    ClientWindow(const ClientWindow&) = delete;
    ClientWindow& operator=(const ClientWindow&) = delete;

    // Connects to $WAYLAND_DISPLAY, binds the globals (logs which one is
    // missing) and commits an unmapped toplevel. false on any failure.
    [[nodiscard]] bool connect(WindowEvents& events, const char* title, const char* app_id,
                               bool want_seat = false);

    [[nodiscard]] wl_display* display() const { return display_; }
    [[nodiscard]] wl_compositor* compositor() const { return compositor_; }
    [[nodiscard]] wl_shm* shm() const { return shm_; }
    [[nodiscard]] wl_seat* seat() const { return seat_; }
    [[nodiscard]] wl_surface* surface() const { return surface_; }
    [[nodiscard]] xdg_toplevel* toplevel() const { return toplevel_; }
    [[nodiscard]] xdg_wm_base* wm_base() const { return wm_base_; }
    [[nodiscard]] xdg_surface* xdg() const { return xdg_surface_; }

    // Listener entry points (the listener tables in the .cpp name them).
    static void registry_global(void* data, wl_registry* registry, uint32_t name,
                                const char* interface, uint32_t version);
    static void surface_configure(void* data, xdg_surface* surface, uint32_t serial);
    static void toplevel_configure(void* data, xdg_toplevel*, int32_t w, int32_t h,
                                   wl_array* states);
    static void toplevel_close(void* data, xdg_toplevel*);

private:
    WindowEvents* events_ = nullptr;
    bool want_seat_ = false;
    wl_display* display_ = nullptr;
    wl_registry* registry_ = nullptr;
    wl_compositor* compositor_ = nullptr;
    wl_shm* shm_ = nullptr;
    wl_seat* seat_ = nullptr;
    xdg_wm_base* wm_base_ = nullptr;
    wl_surface* surface_ = nullptr;
    xdg_surface* xdg_surface_ = nullptr;
    xdg_toplevel* toplevel_ = nullptr;
};

} // namespace vdmabuf::testclient
