// Colours of the compositor's own scene rects (background, window frames), given as
// 8-bit channel values, as the floats wlroots wants.
//
// A float colour becomes bytes differently per renderer: pixman truncates x * 0xFFFF
// and keeps the high byte (about trunc(x * 256)); llvmpipe, under wlroots' GLES2,
// rounds x * 255 in one path and truncates in its fast path for whole 64x64 tiles, so
// the same rect came out 40 in some tiles and 41 in others (0.16 = 40.8 / 255), with
// the split following the damage. v + (255 - v) / 512, over 255, is below every one
// of those rounding edges: all of them give v, whatever the renderer and the damage.
#pragma once

namespace vdmabuf::compositor {

[[nodiscard]] constexpr float unorm8(int v) {
    return (static_cast<float>(v) + static_cast<float>(255 - v) / 512.0f) / 255.0f;
}

} // namespace vdmabuf::compositor
