// The comparison library and the tearing check on synthetic images: a check
// that cannot fail proves nothing.
#include <gtest/gtest.h>

#include <cstring>
#include <drm_fourcc.h>

#include "image_compare.hpp"
#include "pattern.hpp"

namespace vdmabuf::screenshot {
namespace {

Image solid(uint32_t w, uint32_t h, uint32_t argb) {
    Image img{w, h, w * 4, DRM_FORMAT_ARGB8888, std::vector<uint8_t>(size_t(w) * h * 4)};
    for (size_t i = 0; i < size_t(w) * h; ++i)
        std::memcpy(img.pixels.data() + i * 4, &argb, 4);
    return img;
}

void set(Image& img, uint32_t x, uint32_t y, uint32_t argb) {
    std::memcpy(img.pixels.data() + size_t(y) * img.stride + x * 4, &argb, 4);
}

TEST(ImageCompare, ToleranceMasksAndDiff) {
    const Image a = solid(16, 8, 0xff102030);
    Image b = a;
    EXPECT_TRUE(compare(a, b, {}).equal());
    set(b, 3, 2, 0xff102033); // off by 3 in blue
    EXPECT_EQ(compare(a, b, {}).differing, 1u);
    EXPECT_EQ(compare(a, b, {}).max_delta, 3u);
    EXPECT_TRUE(compare(a, b, {3, {}}).equal());
    EXPECT_TRUE(compare(a, b, {0, {{3, 2, 1, 1}}}).equal());
    EXPECT_FALSE(compare(a, b, {0, {{4, 2, 5, 5}}}).equal());
    set(b, 0, 0, 0x00102030); // alpha only: not compared
    EXPECT_EQ(compare(a, b, {}).differing, 1u);
    EXPECT_FALSE(compare(a, solid(16, 9, 0xff102030), {}).same_size);

    const Image diff = diff_image(a, b, {});
    uint32_t red, other;
    std::memcpy(&red, diff.pixels.data() + 2 * diff.stride + 3 * 4, 4);
    std::memcpy(&other, diff.pixels.data() + 5 * diff.stride + 9 * 4, 4);
    EXPECT_EQ(red, 0xffff0000u);
    EXPECT_NE(other, 0xffff0000u);
}

TEST(Tearing, AMixOfTwoFramesIsDetected) {
    const pattern::Layout l{pattern::Mode::full, 64, 48, 0, 0};
    const uint32_t stride = 64 * 4;
    std::vector<uint8_t> frame(size_t(stride) * 48);
    pattern::draw(l, 41, 1000, {0, 0, 64, 48}, frame.data(), stride);
    const auto where = pattern::locate(frame.data(), 64, 48, stride);
    ASSERT_TRUE(where);
    EXPECT_EQ(pattern::mismatches(frame.data(), stride, *where), 0);
    // The bottom half from the next frame: a torn frame.
    pattern::draw(l, 42, 2000, {0, 24, 64, 24}, frame.data(), stride);
    EXPECT_EQ(pattern::read_stamp(frame.data(), stride, *where)->frame, 41u);
    EXPECT_EQ(pattern::mismatches(frame.data(), stride, *where), 64 * 24);
}

} // namespace
} // namespace vdmabuf::screenshot
