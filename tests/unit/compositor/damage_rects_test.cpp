#include "export/damage_rects.hpp"

#include <gtest/gtest.h>

using vdmabuf::compositor::damage_to_rects;

namespace {

struct Region {
    Region() { pixman_region32_init(&r); }
    ~Region() { pixman_region32_fini(&r); }
    void add(int x, int y, int w, int h) {
        pixman_region32_union_rect(&r, &r, x, y, static_cast<unsigned>(w),
                                   static_cast<unsigned>(h));
    }
    pixman_region32_t r;
};

} // namespace

TEST(DamageRects, NullRegionIsWholeFrame) {
    const auto d = damage_to_rects(nullptr, 640, 480);
    EXPECT_TRUE(d.rects.empty());
    EXPECT_FALSE(d.nothing);
}

TEST(DamageRects, WholeBufferGivesNoRects) {
    Region region;
    region.add(-10, -10, 700, 500); // clipped to the buffer: whole
    const auto d = damage_to_rects(&region.r, 640, 480);
    EXPECT_TRUE(d.rects.empty());
    EXPECT_FALSE(d.nothing);
}

TEST(DamageRects, SmallDamageIsKeptAndClipped) {
    Region region;
    region.add(10, 20, 30, 40);
    region.add(600, 460, 100, 100); // sticks out: clipped to 40x20
    const auto d = damage_to_rects(&region.r, 640, 480);
    ASSERT_EQ(d.rects.size(), 2u);
    EXPECT_EQ(d.rects[0].x, 10u);
    EXPECT_EQ(d.rects[0].y, 20u);
    EXPECT_EQ(d.rects[0].width, 30u);
    EXPECT_EQ(d.rects[0].height, 40u);
    EXPECT_EQ(d.rects[1].x, 600u);
    EXPECT_EQ(d.rects[1].width, 40u);
    EXPECT_EQ(d.rects[1].height, 20u);
}

TEST(DamageRects, TooManyRectsCollapseToBoundingBox) {
    Region region;
    for (int i = 0; i < 20; ++i)
        region.add(i * 20, i * 10, 5, 5); // 20 disjoint boxes
    const auto d = damage_to_rects(&region.r, 640, 480, 16);
    ASSERT_EQ(d.rects.size(), 1u);
    EXPECT_EQ(d.rects[0].x, 0u);
    EXPECT_EQ(d.rects[0].y, 0u);
    EXPECT_EQ(d.rects[0].width, 19u * 20 + 5);
    EXPECT_EQ(d.rects[0].height, 19u * 10 + 5);
}

TEST(DamageRects, EmptyAfterClippingIsNothing) {
    Region region;
    region.add(700, 10, 5, 5);
    const auto d = damage_to_rects(&region.r, 640, 480);
    EXPECT_TRUE(d.nothing);
    EXPECT_TRUE(d.rects.empty());
}
