// The picture vdmabuf-pattern-client draws, shared with the tests and the
// benchmark that read it back out of a compositor's output buffer.
//
// Every pixel is a 24-bit RGB value in an XRGB8888 word (the X byte is never
// compared: a compositor may write 0x00 or 0xff there). The picture is a pure
// function of (layout, frame), except for two metadata strips:
//   - the locator, surface row 0, pixels 0..5: magic, width, height, mode,
//     square x, square y. It never changes, so a reader can find the surface
//     anywhere in an output buffer and learn its layout from the pixels alone;
//   - the stamp, at (region.x, region.y + 1), pixels 0..4: magic, frame number,
//     and the CLOCK_MONOTONIC time of the commit in three 24-bit pieces. It lies
//     inside the region that changes each frame, so it adds no damage.
// Modes: still (frame 0 only), full (the whole surface changes every frame),
// square (only a 64x64 square at (square_x, square_y) changes).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>

namespace vdmabuf::pattern {

enum class Mode : uint32_t { still = 0, full = 1, square = 2 };

inline constexpr uint32_t kLocatorMagic = 0x5eed01;
inline constexpr uint32_t kStampMagic = 0xc0ffee;
inline constexpr uint32_t kLocatorPixels = 6;
inline constexpr uint32_t kStampPixels = 5;
inline constexpr uint32_t kSquare = 64;
inline constexpr uint32_t kRgbMask = 0x00ffffff;

struct Rect {
    uint32_t x = 0, y = 0, width = 0, height = 0;
    [[nodiscard]] bool contains(uint32_t px, uint32_t py) const {
        return px >= x && py >= y && px - x < width && py - y < height;
    }
};

struct Layout {
    Mode mode = Mode::still;
    uint32_t width = 0, height = 0;
    uint32_t square_x = 0, square_y = 0;

    // Whether the picture fits its own metadata; the client refuses others.
    [[nodiscard]] bool valid() const {
        if (width < 8 || height < 2 || width > 0xffffff || height > 0xffffff)
            return false;
        if (mode == Mode::square)
            return square_y >= 1 && square_x + kSquare <= width && square_y + kSquare <= height;
        return mode == Mode::still || mode == Mode::full;
    }
    // What changes from one frame to the next (the whole surface unless square).
    [[nodiscard]] Rect region() const {
        if (mode == Mode::square)
            return {square_x, square_y, kSquare, kSquare};
        return {0, 0, width, height};
    }
    [[nodiscard]] uint32_t stamp_x() const { return region().x; }
    [[nodiscard]] uint32_t stamp_y() const { return region().y + 1; }
    [[nodiscard]] bool is_metadata(uint32_t x, uint32_t y) const {
        return (y == 0 && x < kLocatorPixels) ||
               (y == stamp_y() && x >= stamp_x() && x - stamp_x() < kStampPixels);
    }
};

// The background, identical in every frame outside the changing region.
[[nodiscard]] inline uint32_t background(uint32_t x, uint32_t y) {
    return ((x * 5 + y) & 0xff) << 16 | ((y * 3) & 0xff) << 8 | ((x ^ y) & 0xff);
}

// The RGB value of surface pixel (x, y) in `frame`, metadata pixels aside.
[[nodiscard]] inline uint32_t expected(const Layout& l, uint32_t frame, uint32_t x, uint32_t y) {
    switch (l.mode) {
    case Mode::still:
        return background(x, y);
    case Mode::full:
        return background(x + frame * 3, y + frame);
    case Mode::square:
        if (!l.region().contains(x, y))
            return background(x, y);
        x -= l.square_x;
        y -= l.square_y;
        // A checkerboard whose colours depend on the frame: every pixel of
        // the square changes from one frame to the next.
        return ((frame * 37 + 0x40) & 0xff) << 16 | (((x / 8 + y / 8) & 1) ? 0xff00 : 0x2000) |
               ((frame * 11 + x + y) & 0xff);
    }
    return 0;
}

inline void put(uint8_t* pixels, uint32_t stride, uint32_t x, uint32_t y, uint32_t rgb) {
    const uint32_t v = 0xff000000u | (rgb & kRgbMask);
    std::memcpy(pixels + size_t(y) * stride + size_t(x) * 4, &v, 4);
}

[[nodiscard]] inline uint32_t get(const uint8_t* pixels, uint32_t stride, uint32_t x, uint32_t y) {
    uint32_t v;
    std::memcpy(&v, pixels + size_t(y) * stride + size_t(x) * 4, 4);
    return v & kRgbMask;
}

// Writes the stamp alone (the client rewrites it just before each commit).
inline void write_stamp(const Layout& l, uint32_t frame, uint64_t time_ns, uint8_t* pixels,
                        uint32_t stride) {
    const uint32_t stamp[kStampPixels] = {
        kStampMagic, frame & kRgbMask, uint32_t(time_ns & kRgbMask),
        uint32_t((time_ns >> 24) & kRgbMask), uint32_t((time_ns >> 48) & kRgbMask)};
    for (uint32_t i = 0; i < kStampPixels; ++i)
        put(pixels, stride, l.stamp_x() + i, l.stamp_y(), stamp[i]);
}

// Draws `area` of frame `frame` into an XRGB8888 buffer of the layout's size,
// metadata included.
inline void draw(const Layout& l, uint32_t frame, uint64_t time_ns, const Rect& area,
                 uint8_t* pixels, uint32_t stride) {
    for (uint32_t y = area.y; y < area.y + area.height; ++y)
        for (uint32_t x = area.x; x < area.x + area.width; ++x)
            put(pixels, stride, x, y, expected(l, frame, x, y));
    const uint32_t locator[kLocatorPixels] = {kLocatorMagic,    l.width,    l.height,
                                              uint32_t(l.mode), l.square_x, l.square_y};
    for (uint32_t i = 0; i < kLocatorPixels; ++i)
        if (area.contains(i, 0))
            put(pixels, stride, i, 0, locator[i]);
    if (area.contains(l.stamp_x(), l.stamp_y()))
        write_stamp(l, frame, time_ns, pixels, stride);
}

// Where a pattern surface sits in a bigger image (an output buffer), and what
// its locator says.
struct Found {
    uint32_t x = 0, y = 0; // the surface's top-left corner in the image
    Layout layout;
};

// Scans an XRGB/ARGB8888 image for a locator whose layout fits inside it.
// With `clipped`, a surface that reaches past the image's right or bottom edge
// is accepted too, as long as its locator and stamp are inside (mismatches()
// must not be used on it then).
[[nodiscard]] inline std::optional<Found> locate(const uint8_t* pixels, uint32_t width,
                                                 uint32_t height, uint32_t stride,
                                                 bool clipped = false) {
    for (uint32_t y = 0; y < height; ++y)
        for (uint32_t x = 0; x + kLocatorPixels <= width; ++x) {
            if (get(pixels, stride, x, y) != kLocatorMagic)
                continue;
            Found f{x, y, {}};
            f.layout.width = get(pixels, stride, x + 1, y);
            f.layout.height = get(pixels, stride, x + 2, y);
            const uint32_t mode = get(pixels, stride, x + 3, y);
            f.layout.mode = Mode(mode);
            f.layout.square_x = get(pixels, stride, x + 4, y);
            f.layout.square_y = get(pixels, stride, x + 5, y);
            const bool inside = x + f.layout.width <= width && y + f.layout.height <= height;
            const bool stamp_inside =
                x + f.layout.stamp_x() + kStampPixels <= width && y + f.layout.stamp_y() < height;
            if (mode <= 2 && f.layout.valid() && (inside || (clipped && stamp_inside)))
                return f;
        }
    return std::nullopt;
}

struct Stamp {
    uint32_t frame = 0;
    uint64_t time_ns = 0;
};

// The stamp of the surface at `f` in the image; nullopt if its magic is absent.
[[nodiscard]] inline std::optional<Stamp> read_stamp(const uint8_t* pixels, uint32_t stride,
                                                     const Found& f) {
    const uint32_t x = f.x + f.layout.stamp_x(), y = f.y + f.layout.stamp_y();
    if (get(pixels, stride, x, y) != kStampMagic)
        return std::nullopt;
    Stamp s;
    s.frame = get(pixels, stride, x + 1, y);
    s.time_ns = uint64_t(get(pixels, stride, x + 2, y)) |
                uint64_t(get(pixels, stride, x + 3, y)) << 24 |
                uint64_t(get(pixels, stride, x + 4, y)) << 48;
    return s;
}

// Number of surface pixels that differ from the expected picture of the
// stamp's frame (metadata excluded); -1 without a readable stamp.
[[nodiscard]] inline int64_t mismatches(const uint8_t* pixels, uint32_t stride, const Found& f) {
    const auto stamp = read_stamp(pixels, stride, f);
    if (!stamp)
        return -1;
    int64_t bad = 0;
    for (uint32_t y = 0; y < f.layout.height; ++y)
        for (uint32_t x = 0; x < f.layout.width; ++x)
            if (!f.layout.is_metadata(x, y) &&
                get(pixels, stride, f.x + x, f.y + y) != expected(f.layout, stamp->frame, x, y))
                ++bad;
    return bad;
}

} // namespace vdmabuf::pattern
