#include "input/cursor_image.hpp"

#include "vdmabuf_wire.h"

#include <algorithm>
#include <cstring>

namespace vdmabuf::compositor {

namespace {

// One axis of the clip window: its origin in the source and the hotspot in it.
void clip_axis(uint32_t size, int32_t hotspot, uint32_t& origin, uint32_t& out_size,
               uint32_t& out_hotspot) {
    const int64_t hot = std::clamp<int64_t>(hotspot, 0, static_cast<int64_t>(size) - 1);
    out_size = std::min<uint32_t>(size, VDMABUF_MAX_CURSOR);
    const int64_t start = std::clamp<int64_t>(hot - out_size / 2, 0,
                                              static_cast<int64_t>(size - out_size));
    origin = static_cast<uint32_t>(start);
    out_hotspot = static_cast<uint32_t>(hot - start);
}

} // namespace

CursorImage make_cursor_image(const uint8_t* pixels, uint32_t width, uint32_t height,
                              uint32_t stride, int32_t hotspot_x, int32_t hotspot_y, bool opaque) {
    CursorImage image;
    if (!pixels || width == 0 || height == 0 || stride < width * 4)
        return image;
    uint32_t x0 = 0, y0 = 0;
    clip_axis(width, hotspot_x, x0, image.width, image.hotspot_x);
    clip_axis(height, hotspot_y, y0, image.height, image.hotspot_y);
    image.pixels.resize(static_cast<size_t>(image.width) * image.height * 4);
    for (uint32_t y = 0; y < image.height; ++y) {
        const uint8_t* src = pixels + static_cast<size_t>(y0 + y) * stride + size_t(x0) * 4;
        uint8_t* dst = image.pixels.data() + static_cast<size_t>(y) * image.width * 4;
        std::memcpy(dst, src, static_cast<size_t>(image.width) * 4);
        if (opaque)
            for (uint32_t x = 0; x < image.width; ++x)
                dst[x * 4 + 3] = 0xff; // little-endian ARGB: alpha is the 4th byte
    }
    return image;
}

CursorImage builtin_arrow() {
    // '#' outline, '.' inside, ' ' transparent.
    static constexpr const char* kRows[] = {
        "#           ", "##          ", "#.#         ", "#..#        ", "#...#       ",
        "#....#      ", "#.....#     ", "#......#    ", "#.......#   ", "#........#  ",
        "#.........# ", "#......#####", "#...#..#    ", "#..# #..#   ", "#.#  #..#   ",
        "##    #..#  ", "#     #..#  ", "       #..# ", "       ###  ",
    };
    CursorImage image;
    image.width = 12;
    image.height = sizeof kRows / sizeof kRows[0];
    image.pixels.resize(size_t(image.width) * image.height * 4);
    for (uint32_t y = 0; y < image.height; ++y) {
        for (uint32_t x = 0; x < image.width; ++x) {
            const char c = kRows[y][x];
            const uint32_t argb = c == '#' ? 0xff000000u : c == '.' ? 0xffffffffu : 0u;
            std::memcpy(&image.pixels[(size_t(y) * image.width + x) * 4], &argb, 4);
        }
    }
    return image;
}

} // namespace vdmabuf::compositor
