// unique_ptr aliases for the wlroots handles the server owns (style-anchors §11.6).
#pragma once

#include "wlr/wlr.hpp"

#include <vdmabuf/shared/c_handle.hpp>

namespace vdmabuf::compositor {

using WlDisplay = CHandle<wl_display, &wl_display_destroy>;
using WlEventSource = CHandle<wl_event_source, &wl_event_source_remove>;
using WlrBackend = CHandle<wlr_backend, &wlr_backend_destroy>;
using WlrRenderer = CHandle<wlr_renderer, &wlr_renderer_destroy>;
using WlrAllocator = CHandle<wlr_allocator, &wlr_allocator_destroy>;
using WlrOutputLayout = CHandle<wlr_output_layout, &wlr_output_layout_destroy>;
using WlrCursor = CHandle<wlr_cursor, &wlr_cursor_destroy>;
using WlrXcursorManager = CHandle<wlr_xcursor_manager, &wlr_xcursor_manager_destroy>;
using WlrSceneNode = CHandle<wlr_scene_node, &wlr_scene_node_destroy>;

} // namespace vdmabuf::compositor
