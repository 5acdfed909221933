// The HUD as pixels, rendered on the CPU once per change (once a second):
// lines of text in the bitmap font, white on a translucent dark box, as
// premultiplied ARGB8888, which is what wl_shm's ARGB8888 and GL's
// (ONE, ONE_MINUS_SRC_ALPHA) blending expect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vdmabuf::viewer::hud {

inline constexpr uint32_t kTextColor = 0xffffffffu; // opaque white
inline constexpr uint32_t kBoxColor = 0xb0000000u;  // black at alpha 0xb0, premultiplied
inline constexpr uint32_t kPadding = 3;             // font pixels around the text

struct Image {
    uint32_t width = 0, height = 0; // rows are width * 4 bytes
    std::vector<uint32_t> pixels;   // 0xAARRGGBB, premultiplied
};

// Splits at '\n' and wraps at spaces so that no line is longer than
// max_columns (0: no limit); a word longer than that is cut.
[[nodiscard]] std::vector<std::string> wrap(const std::string& text, uint32_t max_columns);

// The box with `text` in it, each font pixel scale x scale, wrapped to fit
// max_width pixels (0: no limit). Empty text: an empty image.
[[nodiscard]] Image render(const std::string& text, uint32_t max_width, uint32_t scale = 1);

} // namespace vdmabuf::viewer::hud
