// The one place that includes wlroots 0.15. Its headers are C, not C++ (array
// parameters declared `[static N]`, fields named `class` and `namespace`), so
// every system header they need comes first, and the wlr headers are then read
// inside extern "C" with those keywords renamed. Nothing else includes <wlr/...>.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/stat.h>

#include <pixman.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <wayland-util.h>
#include <xkbcommon/xkbcommon.h>
#if VDM_HAVE_XCB
#include <xcb/xcb.h>
#endif

#include "xdg-shell-protocol.h"
#if VDM_HAVE_GL
#include <GLES2/gl2.h>
#endif

extern "C" {
#define static
#define class class_
#define namespace namespace_
#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#if VDM_HAVE_GL
#include <wlr/render/egl.h>
#include <wlr/render/gles2.h>
#endif
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_damage.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_screencopy_v1.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/types/wlr_xdg_decoration_v1.h>
#include <wlr/types/wlr_xdg_output_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#if VDM_HAVE_XCB
#include <wlr/xwayland.h>
#endif
#undef static
#undef class
#undef namespace

// Exported by libwlroots 0.15 but declared only in its private render/swapchain.h.
// Used once: to drop an output's swapchain so that its buffers are reallocated from
// a new device session after a reconnect (see export/device_link.hpp).
struct wlr_swapchain;
void wlr_swapchain_destroy(struct wlr_swapchain* swapchain);

#if VDM_HAVE_GL
// Exported by libwlroots 0.15 but declared only in its private
// render/allocator/gbm.h: the GBM allocator on a DRM fd, which it takes over on
// success (closed with the allocator) and leaves open on failure. The GL path's
// output buffers (export/gbm_allocator.hpp).
struct wlr_allocator* wlr_gbm_allocator_create(int drm_fd);
#endif
}
