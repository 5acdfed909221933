#include "input/cursor_image.hpp"
#include "input/input_check.hpp"

#include "vdmabuf_wire.h"

#include <gtest/gtest.h>

#include <cstring>

namespace vdmabuf::compositor {
namespace {

TEST(InputCheck, KeysAndButtons) {
    EXPECT_EQ(input_problem(VDMABUF_INPUT_KEY, 30, 1, 0, 0, 640, 480), nullptr);
    EXPECT_EQ(input_problem(VDMABUF_INPUT_KEY, 0x2ff, 0, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_KEY, 0, 1, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_KEY, 0x300, 1, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_KEY, 30, 2, 0, 0, 640, 480), nullptr);
    EXPECT_EQ(input_problem(VDMABUF_INPUT_BUTTON, 0x110, 1, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_BUTTON, 0x42, 1, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_BUTTON, 0x110, 7, 0, 0, 640, 480), nullptr);
}

TEST(InputCheck, PositionsMustLieInsideTheOutput) {
    EXPECT_EQ(input_problem(VDMABUF_INPUT_MOTION, 0, 0, 0, 0, 640, 480), nullptr);
    EXPECT_EQ(input_problem(VDMABUF_INPUT_MOTION, 640 * 256 - 1, 480 * 256 - 1, 0, 0, 640, 480),
              nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_MOTION, 640 * 256, 0, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_ENTER, 0, 480 * 256, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_MOTION, 0xffffffffu, 0, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_MOTION, 0, 0, 0, 0, 0, 0), nullptr);
}

TEST(InputCheck, Axis) {
    EXPECT_EQ(input_problem(VDMABUF_INPUT_AXIS, 0, 0, 15 * 256, 1, 640, 480), nullptr);
    EXPECT_EQ(input_problem(VDMABUF_INPUT_AXIS, 1, 3, uint32_t(-15 * 256), uint32_t(-1), 640,
                            480),
              nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_AXIS, 2, 0, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_AXIS, 0, 4, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_AXIS, 0, 0, 0x7fffffff, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(VDMABUF_INPUT_AXIS, 0, 0, 0, 5000, 640, 480), nullptr);
    EXPECT_DOUBLE_EQ(from_fixed_signed(uint32_t(-384)), -1.5);
}

TEST(InputCheck, OtherKinds) {
    EXPECT_EQ(input_problem(VDMABUF_INPUT_FRAME, 0, 0, 0, 0, 0, 0), nullptr);
    EXPECT_EQ(input_problem(VDMABUF_INPUT_LEAVE, 0, 0, 0, 0, 0, 0), nullptr);
    EXPECT_EQ(input_problem(VDMABUF_INPUT_MODIFIERS, 1, 0, 2, 0, 0, 0), nullptr);
    EXPECT_NE(input_problem(0, 0, 0, 0, 0, 640, 480), nullptr);
    EXPECT_NE(input_problem(9, 0, 0, 0, 0, 640, 480), nullptr);
}

TEST(KeymapNames, OnlyXkbNameCharacters) {
    EXPECT_TRUE(valid_keymap_name("us"));
    EXPECT_TRUE(valid_keymap_name("us,ru"));
    EXPECT_TRUE(valid_keymap_name("altgr-intl"));
    EXPECT_TRUE(valid_keymap_name(""));
    EXPECT_FALSE(valid_keymap_name("us\n"));
    EXPECT_FALSE(valid_keymap_name("../../etc"));
    EXPECT_FALSE(valid_keymap_name("de us"));
}

std::vector<uint8_t> square(uint32_t n, uint32_t argb) {
    std::vector<uint8_t> px(size_t(n) * n * 4);
    for (size_t i = 0; i < px.size(); i += 4)
        std::memcpy(&px[i], &argb, 4);
    return px;
}

TEST(CursorImage, SmallImagesAreCopied) {
    const auto px = square(24, 0x80402010u);
    const CursorImage img = make_cursor_image(px.data(), 24, 24, 24 * 4, 3, 4, false);
    EXPECT_EQ(img.width, 24u);
    EXPECT_EQ(img.height, 24u);
    EXPECT_EQ(img.hotspot_x, 3u);
    EXPECT_EQ(img.hotspot_y, 4u);
    EXPECT_EQ(img.pixels, px);
}

TEST(CursorImage, OpaqueSourcesGetFullAlpha) {
    const auto px = square(4, 0x00112233u);
    const CursorImage img = make_cursor_image(px.data(), 4, 4, 16, 0, 0, true);
    uint32_t first;
    std::memcpy(&first, img.pixels.data(), 4);
    EXPECT_EQ(first, 0xff112233u);
}

TEST(CursorImage, LargeImagesAreClippedAroundTheHotspot) {
    std::vector<uint8_t> px(300 * 200 * 4);
    // Each pixel holds its own coordinates: x in the low 16 bits, y in the high.
    for (uint32_t y = 0; y < 200; ++y)
        for (uint32_t x = 0; x < 300; ++x) {
            const uint32_t v = (y << 16) | x;
            std::memcpy(&px[(size_t(y) * 300 + x) * 4], &v, 4);
        }
    const CursorImage img = make_cursor_image(px.data(), 300, 200, 300 * 4, 150, 190, false);
    ASSERT_EQ(img.width, VDMABUF_MAX_CURSOR);
    ASSERT_EQ(img.height, VDMABUF_MAX_CURSOR);
    // The hotspot pixel is the same pixel of the source.
    uint32_t hot;
    std::memcpy(&hot, &img.pixels[(size_t(img.hotspot_y) * img.width + img.hotspot_x) * 4], 4);
    EXPECT_EQ(hot, (190u << 16) | 150u);
    EXPECT_EQ(img.hotspot_x, 64u);        // centred
    EXPECT_EQ(img.hotspot_y, 190u - 72u); // the window ends at the bottom edge
    // A hotspot outside the image is clamped into it.
    const CursorImage clamped = make_cursor_image(px.data(), 300, 200, 300 * 4, -5, 900, false);
    EXPECT_EQ(clamped.hotspot_x, 0u);
    EXPECT_EQ(clamped.hotspot_y, 127u);
}

TEST(CursorImage, EmptyOrBadInputGivesAHiddenCursor) {
    const auto px = square(4, 0xffffffffu);
    EXPECT_EQ(make_cursor_image(nullptr, 4, 4, 16, 0, 0, false).width, 0u);
    EXPECT_EQ(make_cursor_image(px.data(), 0, 4, 16, 0, 0, false).width, 0u);
    EXPECT_EQ(make_cursor_image(px.data(), 4, 4, 8, 0, 0, false).width, 0u);
}

TEST(CursorImage, BuiltinArrowHasItsTipAtTheHotspot) {
    const CursorImage arrow = builtin_arrow();
    ASSERT_GT(arrow.width, 0u);
    EXPECT_EQ(arrow.pixels.size(), size_t(arrow.width) * arrow.height * 4);
    uint32_t tip;
    std::memcpy(&tip, arrow.pixels.data(), 4);
    EXPECT_EQ(tip, 0xff000000u);
    EXPECT_EQ(arrow.hotspot_x, 0u);
}

} // namespace
} // namespace vdmabuf::compositor
