// A cursor image as CURSOR_SET carries it (device spec §6.6): premultiplied
// ARGB8888, rows tightly packed, at most VDMABUF_MAX_CURSOR x VDMABUF_MAX_CURSOR.
// Pure logic (no wlroots), unit-tested in tests/unit/compositor.
#pragma once

#include <cstdint>
#include <vector>

namespace vdmabuf::compositor {

struct CursorImage {
    uint32_t width = 0; // 0 x 0: hidden
    uint32_t height = 0;
    uint32_t hotspot_x = 0;
    uint32_t hotspot_y = 0;
    std::vector<uint8_t> pixels; // width * height * 4 bytes
};

// Copies a premultiplied ARGB8888 image (`stride` bytes a row; opaque = true for
// XRGB8888, whose X byte is then set to 0xff). An image larger than the limit is
// clipped, not scaled: to a limit-sized window around the hotspot, so the part
// that points stays (cursors that big are mostly transparent margin). The hotspot
// is clamped into the image. Empty if width or height is 0 or pixels is null.
[[nodiscard]] CursorImage make_cursor_image(const uint8_t* pixels, uint32_t width,
                                            uint32_t height, uint32_t stride, int32_t hotspot_x,
                                            int32_t hotspot_y, bool opaque);

// A 12 x 19 arrow (black outline, white inside, hotspot at its tip): the image when
// no xcursor theme has a left_ptr.
[[nodiscard]] CursorImage builtin_arrow();

} // namespace vdmabuf::compositor
