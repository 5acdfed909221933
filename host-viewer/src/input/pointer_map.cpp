#include "input/pointer_map.hpp"

#include "egl/renderer.hpp"

#include <algorithm>
#include <cmath>

namespace vdmabuf::viewer {

namespace {

std::optional<std::pair<uint32_t, uint32_t>> rect_to_output(double x, double y, uint32_t frame_w,
                                                            uint32_t frame_h, Renderer::Rect f) {
    double ox = (x - f.x) * frame_w / f.w, oy = (y - f.y) * frame_h / f.h;
    if (!(ox >= 0 && oy >= 0 && ox < frame_w && oy < frame_h))
        return std::nullopt;
    // Rounding may reach the far edge: clamp to the last 1/256 of a pixel inside.
    auto fixed = [](double v, uint32_t limit) {
        return std::min<uint32_t>(uint32_t(std::lround(v * 256.0)), limit * 256 - 1);
    };
    return std::pair(fixed(ox, frame_w), fixed(oy, frame_h));
}

} // namespace

std::optional<std::pair<uint32_t, uint32_t>> window_to_output(double x, double y, uint32_t frame_w,
                                                              uint32_t frame_h, uint32_t target_w,
                                                              uint32_t target_h) {
    if (!frame_w || !frame_h || !target_w || !target_h)
        return std::nullopt;
    return rect_to_output(x, y, frame_w, frame_h,
                          Renderer::fit(frame_w, frame_h, target_w, target_h));
}

std::optional<std::pair<uint32_t, uint32_t>>
window_to_output_centred(double x, double y, uint32_t frame_w, uint32_t frame_h, uint32_t target_w,
                         uint32_t target_h) {
    if (!frame_w || !frame_h || target_w < frame_w || target_h < frame_h)
        return window_to_output(x, y, frame_w, frame_h, target_w, target_h);
    const Renderer::Rect f{int(target_w - frame_w) / 2, int(target_h - frame_h) / 2, int(frame_w),
                           int(frame_h)};
    return rect_to_output(x, y, frame_w, frame_h, f);
}

} // namespace vdmabuf::viewer
