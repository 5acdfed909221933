// Window pointer coordinates to guest output pixels: the inverse of how the
// renderer letterboxes and scales the frame into the window.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace vdmabuf::viewer {

// (x, y) in target pixels (row 0 at the top) of a target_w x target_h
// window showing a frame_w x frame_h output; the output position in 24.8
// fixed point, 0 <= x < frame_w * 256. nullopt outside the picture (the
// letterbox bars) or when a size is 0.
[[nodiscard]] std::optional<std::pair<uint32_t, uint32_t>>
window_to_output(double x, double y, uint32_t frame_w, uint32_t frame_h, uint32_t target_w,
                 uint32_t target_h);
// The same for a frame shown 1:1 at the centre of the target (X11
// pass-through, which does not scale; the target is at least the frame).
[[nodiscard]] std::optional<std::pair<uint32_t, uint32_t>>
window_to_output_centred(double x, double y, uint32_t frame_w, uint32_t frame_h,
                         uint32_t target_w, uint32_t target_h);

} // namespace vdmabuf::viewer
