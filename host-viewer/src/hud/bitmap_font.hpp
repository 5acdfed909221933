// The HUD's font: a fixed 5x7 bitmap for printable ASCII (32..126), drawn
// into a 6x8 cell (one column and one row of spacing). Our own table, so the
// HUD needs no font library and renders the same on every window system.
#pragma once

#include <array>
#include <cstdint>

namespace vdmabuf::viewer::hud {

inline constexpr uint32_t kGlyphWidth = 5, kGlyphHeight = 7;
inline constexpr uint32_t kCellWidth = 6, kCellHeight = 8;

// One glyph: 7 rows, top first; bit 4 is the leftmost column.
using Glyph = std::array<uint8_t, kGlyphHeight>;

// The glyph of `c`; characters outside 32..126 get a hollow box, so an
// unexpected byte shows as something rather than vanishing.
[[nodiscard]] const Glyph& glyph(char c) noexcept;

// Whether the glyph of `c` sets the pixel at (x, y) of its 5x7 box.
[[nodiscard]] inline bool glyph_pixel(char c, uint32_t x, uint32_t y) noexcept {
    return x < kGlyphWidth && y < kGlyphHeight && ((glyph(c)[y] >> (kGlyphWidth - 1 - x)) & 1u);
}

} // namespace vdmabuf::viewer::hud
