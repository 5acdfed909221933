// Small readers of XRGB/ARGB8888 frames for the compositor tests. Only the
// 24 RGB bits are ever compared: the X byte of an XRGB buffer is undefined.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include <vdmabuf/consumer/events.hpp>

namespace vdmabuf::compositor_test {

struct FrameView {
    const uint8_t* pixels = nullptr;
    uint32_t width = 0, height = 0, stride = 0;

    [[nodiscard]] uint32_t rgb(uint32_t x, uint32_t y) const {
        uint32_t v;
        std::memcpy(&v, pixels + size_t(y) * stride + size_t(x) * 4, 4);
        return v & 0x00ffffffu;
    }
};

// A copy of a frame's RGB values, width * height words.
[[nodiscard]] inline std::vector<uint32_t> copy_rgb(const FrameView& f) {
    std::vector<uint32_t> out(size_t(f.width) * f.height);
    for (uint32_t y = 0; y < f.height; ++y)
        for (uint32_t x = 0; x < f.width; ++x)
            out[size_t(y) * f.width + x] = f.rgb(x, y);
    return out;
}

// FNV-1a over the RGB values of every pixel (padding and X bytes excluded).
[[nodiscard]] inline uint64_t checksum(const FrameView& f) {
    uint64_t h = 1469598103934665603ull;
    for (uint32_t y = 0; y < f.height; ++y)
        for (uint32_t x = 0; x < f.width; ++x) {
            h ^= f.rgb(x, y);
            h *= 1099511628211ull;
        }
    return h;
}

// Pixels where two same-sized RGB copies differ.
[[nodiscard]] inline uint64_t count_differences(const std::vector<uint32_t>& a,
                                                const std::vector<uint32_t>& b) {
    uint64_t n = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        n += a[i] != b[i];
    return n;
}

[[nodiscard]] inline bool in_damage(const consumer::PresentEvent& p, uint32_t x, uint32_t y) {
    if (p.n_damage == 0)
        return true; // the whole buffer
    for (uint32_t i = 0; i < p.n_damage && i < VDMABUF_MAX_DAMAGE; ++i) {
        const vdmabuf_rect& r = p.damage[i];
        if (x >= r.x && y >= r.y && x - r.x < r.width && y - r.y < r.height)
            return true;
    }
    return false;
}

} // namespace vdmabuf::compositor_test
