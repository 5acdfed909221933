#include "hud/hud_image.hpp"

#include "hud/bitmap_font.hpp"

#include <algorithm>

namespace vdmabuf::viewer::hud {

std::vector<std::string> wrap(const std::string& text, uint32_t max_columns) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string rest = text.substr(start, end - start);
        while (max_columns && rest.size() > max_columns) {
            // Break at the last space that keeps the line short enough.
            size_t cut = rest.rfind(' ', max_columns);
            const bool at_space = cut != std::string::npos && cut > 0;
            if (!at_space)
                cut = max_columns;
            lines.push_back(rest.substr(0, cut));
            rest.erase(0, at_space ? cut + 1 : cut);
        }
        lines.push_back(std::move(rest));
        start = end + 1;
    }
    while (!lines.empty() && lines.back().empty())
        lines.pop_back();
    return lines;
}

Image render(const std::string& text, uint32_t max_width, uint32_t scale) {
    Image img;
    scale = std::max(1u, scale);
    const uint32_t pad = 2 * kPadding * scale, cell = kCellWidth * scale;
    uint32_t columns = 0;
    if (max_width) {
        if (max_width < pad + cell)
            return img; // not even one character fits
        columns = (max_width - pad) / cell;
    }
    const std::vector<std::string> lines = wrap(text, columns);
    if (lines.empty())
        return img;
    size_t longest = 0;
    for (const std::string& l : lines)
        longest = std::max(longest, l.size());
    // The last column's and row's spacing are left out: the padding is even.
    img.width = uint32_t(longest) * cell - scale + pad;
    img.height = uint32_t(lines.size()) * kCellHeight * scale - scale + pad;
    img.pixels.assign(size_t(img.width) * img.height, kBoxColor);
    for (size_t row = 0; row < lines.size(); ++row)
        for (size_t col = 0; col < lines[row].size(); ++col) {
            const char c = lines[row][col];
            const uint32_t x0 = (kPadding + uint32_t(col) * kCellWidth) * scale;
            const uint32_t y0 = (kPadding + uint32_t(row) * kCellHeight) * scale;
            for (uint32_t gy = 0; gy < kGlyphHeight; ++gy)
                for (uint32_t gx = 0; gx < kGlyphWidth; ++gx) {
                    if (!glyph_pixel(c, gx, gy))
                        continue;
                    for (uint32_t sy = 0; sy < scale; ++sy) {
                        uint32_t* p =
                            &img.pixels[size_t(y0 + gy * scale + sy) * img.width + x0 + gx * scale];
                        std::fill(p, p + scale, kTextColor);
                    }
                }
        }
    return img;
}

} // namespace vdmabuf::viewer::hud
