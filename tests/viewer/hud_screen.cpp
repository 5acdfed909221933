#include "hud_screen.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace vdmabuf::viewer_test {
namespace {

uint32_t frame_px(const uint8_t* f, uint32_t stride, uint32_t x, uint32_t y) {
    uint32_t v;
    std::memcpy(&v, f + size_t(y) * stride + size_t(x) * 4, 4);
    return v & 0xffffff;
}

// Blending rounds differently in pixman and GL: a channel may be 2 off.
bool close(uint32_t a, uint32_t b) {
    for (int shift = 0; shift < 24; shift += 8)
        if (std::abs(int((a >> shift) & 0xff) - int((b >> shift) & 0xff)) > 2)
            return false;
    return true;
}

} // namespace

std::string HudOnScreen::describe() const {
    std::ostringstream s;
    s << "frame at " << x << "," << y << "; " << differing << " pixels differ, in the box " << box_x
      << "," << box_y << " " << box_w << "x" << box_h << "; " << text << " text, " << not_box
      << " neither text nor box";
    return s.str();
}

std::optional<HudOnScreen> find_frame_with_hud(const ScreenPixel& screen, uint32_t sw, uint32_t sh,
                                               const uint8_t* frame, uint32_t stride, uint32_t w,
                                               uint32_t h,
                                               const std::function<uint32_t(uint32_t)>& box) {
    const uint32_t top = h / 2; // the lower half: far below any HUD line
    for (uint32_t oy = 0; oy + h <= sh; ++oy)
        for (uint32_t ox = 0; ox + w <= sw; ++ox) {
            if (screen(ox, oy + top) != frame_px(frame, stride, 0, top))
                continue;
            bool all = true;
            for (uint32_t y = top; y < h && all; ++y)
                for (uint32_t x = 0; x < w && all; ++x)
                    all = screen(ox + x, oy + y) == frame_px(frame, stride, x, y);
            if (!all)
                continue;
            HudOnScreen r;
            r.x = ox, r.y = oy;
            uint32_t x0 = w, y0 = h, x1 = 0, y1 = 0;
            for (uint32_t y = 0; y < h; ++y)
                for (uint32_t x = 0; x < w; ++x)
                    if (screen(ox + x, oy + y) != frame_px(frame, stride, x, y)) {
                        ++r.differing;
                        x0 = std::min(x0, x), y0 = std::min(y0, y);
                        x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
                    }
            if (!r.differing)
                return r;
            r.box_x = x0, r.box_y = y0, r.box_w = x1 - x0, r.box_h = y1 - y0;
            // Every pixel in the box is text or the box over the frame.
            for (uint32_t y = y0; y < y1; ++y)
                for (uint32_t x = x0; x < x1; ++x) {
                    const uint32_t s = screen(ox + x, oy + y), f = frame_px(frame, stride, x, y);
                    if (s == 0xffffff && f != 0xffffff)
                        ++r.text;
                    else if (!close(s, box(f)))
                        ++r.not_box;
                }
            return r;
        }
    return std::nullopt;
}

} // namespace vdmabuf::viewer_test
