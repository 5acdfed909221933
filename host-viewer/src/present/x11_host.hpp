// What the X11 presenter asks of the X server beyond its window: the host's
// keyboard layout and the guest's cursor as an X cursor.
#pragma once

#include "present/presenter.hpp"

#include <X11/Xlib.h>

#include <optional>
#include <string>

namespace vdmabuf::viewer {

// "LAYOUT[:VARIANT]" from the root window's _XKB_RULES_NAMES; nullopt without.
[[nodiscard]] std::optional<std::string> x11_host_keymap(Display* d);
// The guest's cursor (nullptr: a transparent 1x1 one, hiding the host's) as
// an XRender ARGB cursor for `window`'s screen, for the caller to free; 0
// where XRender cannot (or the build has no XRender).
[[nodiscard]] Cursor x11_argb_cursor(Display* d, Window window, const CursorPixels* image);

} // namespace vdmabuf::viewer
