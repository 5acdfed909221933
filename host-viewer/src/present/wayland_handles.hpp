// RAII aliases for the Wayland client objects the viewer's window uses. Each
// proxy is destroyed with its protocol's destructor request where it has one,
// so the compositor frees its side too.
#pragma once

#include <vdmabuf/shared/c_handle.hpp>

#include <memory>

#include <wayland-client.h>
#include <wayland-egl.h>

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "xdg-decoration-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

namespace vdmabuf::viewer::wl {

// The generated destructors are static inline (internal linkage), so they
// cannot be CHandle's template argument in a header; one overloaded deleter
// with external linkage stands in for them.
struct ProxyDeleter {
#define VDM_WL_DESTROY(type, fn)                                                                   \
    void operator()(struct type* p) const noexcept {                                               \
        if (p)                                                                                     \
            fn(p);                                                                                 \
    }
    VDM_WL_DESTROY(wl_registry, wl_registry_destroy)
    VDM_WL_DESTROY(wl_compositor, wl_compositor_destroy)
    VDM_WL_DESTROY(wl_surface, wl_surface_destroy)
    VDM_WL_DESTROY(wl_region, wl_region_destroy)
    VDM_WL_DESTROY(wl_output, wl_output_destroy)
    VDM_WL_DESTROY(wl_seat, wl_seat_destroy)
    VDM_WL_DESTROY(wl_keyboard, wl_keyboard_destroy)
    VDM_WL_DESTROY(wl_pointer, wl_pointer_destroy)
    VDM_WL_DESTROY(wl_shm, wl_shm_destroy)
    VDM_WL_DESTROY(wl_shm_pool, wl_shm_pool_destroy)
    VDM_WL_DESTROY(wl_buffer, wl_buffer_destroy)
    VDM_WL_DESTROY(wl_callback, wl_callback_destroy)
    VDM_WL_DESTROY(wl_subcompositor, wl_subcompositor_destroy)
    VDM_WL_DESTROY(wl_subsurface, wl_subsurface_destroy)
    VDM_WL_DESTROY(wp_viewporter, wp_viewporter_destroy)
    VDM_WL_DESTROY(wp_viewport, wp_viewport_destroy)
    VDM_WL_DESTROY(xdg_wm_base, xdg_wm_base_destroy)
    VDM_WL_DESTROY(xdg_surface, xdg_surface_destroy)
    VDM_WL_DESTROY(xdg_toplevel, xdg_toplevel_destroy)
    VDM_WL_DESTROY(zxdg_decoration_manager_v1, zxdg_decoration_manager_v1_destroy)
    VDM_WL_DESTROY(zxdg_toplevel_decoration_v1, zxdg_toplevel_decoration_v1_destroy)
    VDM_WL_DESTROY(wp_presentation, wp_presentation_destroy)
    VDM_WL_DESTROY(wp_presentation_feedback, wp_presentation_feedback_destroy)
    VDM_WL_DESTROY(zwp_linux_dmabuf_v1, zwp_linux_dmabuf_v1_destroy)
    VDM_WL_DESTROY(zwp_linux_buffer_params_v1, zwp_linux_buffer_params_v1_destroy)
#undef VDM_WL_DESTROY
};

template <class T> using Proxy = std::unique_ptr<T, ProxyDeleter>;

using Display = CHandle<wl_display, &wl_display_disconnect>;
using EglWindow = CHandle<wl_egl_window, &wl_egl_window_destroy>;
using Registry = Proxy<wl_registry>;
using Compositor = Proxy<wl_compositor>;
using Surface = Proxy<wl_surface>;
using Region = Proxy<wl_region>;
using Output = Proxy<wl_output>;
using Seat = Proxy<wl_seat>;
using Keyboard = Proxy<wl_keyboard>;
using Pointer = Proxy<wl_pointer>;
using Shm = Proxy<wl_shm>;
using ShmPool = Proxy<wl_shm_pool>;
using Buffer = Proxy<wl_buffer>;
using Callback = Proxy<wl_callback>;
using Subcompositor = Proxy<wl_subcompositor>;
using Subsurface = Proxy<wl_subsurface>;
using Viewporter = Proxy<wp_viewporter>;
using Viewport = Proxy<wp_viewport>;
using WmBase = Proxy<xdg_wm_base>;
using XdgSurface = Proxy<xdg_surface>;
using Toplevel = Proxy<xdg_toplevel>;
using DecorationManager = Proxy<zxdg_decoration_manager_v1>;
using Decoration = Proxy<zxdg_toplevel_decoration_v1>;
using Presentation = Proxy<wp_presentation>;
using Feedback = Proxy<struct wp_presentation_feedback>;
using LinuxDmabuf = Proxy<zwp_linux_dmabuf_v1>;
using BufferParams = Proxy<zwp_linux_buffer_params_v1>;

} // namespace vdmabuf::viewer::wl
