// What the HUD tests read off the screen: where the guest frame is (found by
// its lower half, which the HUD never covers) and how the pixels in it
// differ from the frame: all of them inside one box at its top-left corner,
// white text on a dark box.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vdmabuf::viewer_test {

// A screen pixel (0xRRGGBB) at (x, y), which the caller keeps in range.
using ScreenPixel = std::function<uint32_t(uint32_t x, uint32_t y)>;

struct HudOnScreen {
    uint32_t x = 0, y = 0;         // where the frame is on the screen
    uint32_t box_w = 0, box_h = 0; // the bounding box of the differing pixels, from 0,0
    uint32_t box_x = 0, box_y = 0; // ...its top-left corner (0, 0 for a HUD)
    size_t differing = 0;          // frame pixels the screen does not show
    size_t text = 0;               // of them white (0xffffff)
    size_t not_box = 0;            // in the box neither text nor box(frame pixel), +-2
    [[nodiscard]] std::string describe() const;
};

// Looks for the frame (XRGB, w x h, rows `stride` apart) 1:1 on a screen of
// sw x sh: its lower half exact. nullopt when it is not there. box: what a
// pixel of the HUD's box over a frame pixel looks like (0xRRGGBB).
[[nodiscard]] std::optional<HudOnScreen>
find_frame_with_hud(const ScreenPixel& screen, uint32_t sw, uint32_t sh, const uint8_t* frame,
                    uint32_t stride, uint32_t w, uint32_t h,
                    const std::function<uint32_t(uint32_t frame_pixel)>& box);

} // namespace vdmabuf::viewer_test
