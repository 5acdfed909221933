// The HUD's bitmap font and its CPU renderer: glyph bits, where a character
// lands in the box, unknown characters, wrapping and scaling.
#include "hud/bitmap_font.hpp"
#include "hud/hud_image.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vdmabuf::viewer::hud {
namespace {

// The glyph of c as rows of '#' and '.', read back from a rendered image.
std::string rendered(const Image& img, uint32_t scale) {
    std::string s;
    for (uint32_t y = 0; y < kGlyphHeight; ++y) {
        for (uint32_t x = 0; x < kGlyphWidth; ++x) {
            const uint32_t px =
                img.pixels[size_t((kPadding + y) * scale) * img.width + (kPadding + x) * scale];
            s += px == kTextColor ? '#' : px == kBoxColor ? '.' : '?';
        }
        s += '\n';
    }
    return s;
}

TEST(HudFont, ZeroSetsTheExpectedPixels) {
    const Image img = render("0", 0);
    ASSERT_EQ(img.width, kGlyphWidth + 2 * kPadding);
    ASSERT_EQ(img.height, kGlyphHeight + 2 * kPadding);
    EXPECT_EQ(rendered(img, 1), ".###.\n"
                                "#...#\n"
                                "#..##\n"
                                "#.#.#\n"
                                "##..#\n"
                                "#...#\n"
                                ".###.\n");
    // The padding is box, never text.
    for (uint32_t x = 0; x < img.width; ++x) {
        EXPECT_EQ(img.pixels[x], kBoxColor);
        EXPECT_EQ(img.pixels[size_t(img.height - 1) * img.width + x], kBoxColor);
    }
}

TEST(HudFont, EveryPrintableCharacterHasAGlyphAndOnlySpaceIsBlank) {
    for (int c = 32; c <= 126; ++c) {
        int set = 0;
        for (uint32_t y = 0; y < kGlyphHeight; ++y) {
            EXPECT_EQ(glyph(char(c))[y] & ~0x1fu, 0u) << "glyph " << c << " wider than 5";
            for (uint32_t x = 0; x < kGlyphWidth; ++x)
                set += glyph_pixel(char(c), x, y);
        }
        if (c == ' ')
            EXPECT_EQ(set, 0);
        else
            EXPECT_GT(set, 0) << "glyph " << c << " is blank";
    }
    EXPECT_NE(glyph('0'), glyph('O'));
    EXPECT_NE(glyph('l'), glyph('1'));
}

TEST(HudFont, UnknownCharactersRenderAsABox) {
    const Image img = render("\x01", 0);
    EXPECT_EQ(rendered(img, 1), "#####\n"
                                "#...#\n"
                                "#...#\n"
                                "#...#\n"
                                "#...#\n"
                                "#...#\n"
                                "#####\n");
    EXPECT_EQ(glyph('\x7f'), glyph('\x01'));
    EXPECT_EQ(glyph(char(0xe9)), glyph('\x01'));
}

TEST(HudFont, SecondCharacterStartsOneCellRight) {
    const Image img = render("-0", 0);
    EXPECT_EQ(img.width, 2 * kCellWidth - 1 + 2 * kPadding);
    // '-' is row 3 only; '0' starts at column kCellWidth.
    EXPECT_EQ(img.pixels[size_t(kPadding + 3) * img.width + kPadding], kTextColor);
    EXPECT_EQ(img.pixels[size_t(kPadding) * img.width + kPadding], kBoxColor);
    EXPECT_EQ(img.pixels[size_t(kPadding) * img.width + kPadding + kCellWidth + 1], kTextColor);
    EXPECT_EQ(img.pixels[size_t(kPadding) * img.width + kPadding + kCellWidth - 1], kBoxColor);
}

TEST(HudFont, ScaleMakesEveryFontPixelABlock) {
    const Image one = render("0", 0, 1), two = render("0", 0, 2);
    ASSERT_EQ(two.width, 2 * one.width);
    ASSERT_EQ(two.height, 2 * one.height);
    for (uint32_t y = 0; y < two.height; ++y)
        for (uint32_t x = 0; x < two.width; ++x)
            ASSERT_EQ(two.pixels[size_t(y) * two.width + x],
                      one.pixels[size_t(y / 2) * one.width + x / 2])
                << x << "," << y;
    EXPECT_EQ(rendered(two, 2), rendered(one, 1));
}

TEST(HudFont, WrapsAtSpacesToFitTheWidth) {
    EXPECT_EQ(wrap("12.0 fps, wl_shm, 0 B/frame", 10),
              (std::vector<std::string>{"12.0 fps,", "wl_shm, 0", "B/frame"}));
    EXPECT_EQ(wrap("abcdefghij", 4), (std::vector<std::string>{"abcd", "efgh", "ij"}));
    EXPECT_EQ(wrap("a\nb", 0), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(wrap("", 5).empty());
    // The box never exceeds the width asked for.
    const Image img = render("60.0 fps, wl_shm, 0 B/frame, latency p50 120 us p99 450 us", 100);
    EXPECT_LE(img.width, 100u);
    EXPECT_EQ((img.height - 2 * kPadding + 1) % kCellHeight, 0u);
    EXPECT_GT(img.height, kCellHeight * 3);
    EXPECT_TRUE(render("", 100).pixels.empty());
    EXPECT_TRUE(render("x", 5).pixels.empty()); // not even one character fits
}

} // namespace
} // namespace vdmabuf::viewer::hud
