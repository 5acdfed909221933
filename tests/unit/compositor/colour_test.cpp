// unorm8(v): the float every renderer turns back into the byte v (render/colour.hpp).
#include "render/colour.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

using vdmabuf::compositor::unorm8;

TEST(Colour, EveryRendererGivesBackTheByte) {
    for (int v = 0; v <= 255; ++v) {
        const float x = unorm8(v);
        // wlroots' pixman renderer and the culled path: 16 bits truncated, high byte.
        EXPECT_EQ(static_cast<int>(static_cast<uint16_t>(x * 0xFFFF) >> 8), v) << v;
        // GL conversions seen in llvmpipe: rounding, truncation, and x * 256.
        EXPECT_EQ(static_cast<int>(std::lround(x * 255.0f)), v) << v;
        EXPECT_EQ(static_cast<int>(x * 255.0f), v) << v;
        EXPECT_EQ(std::min(static_cast<int>(x * 256.0f), 255), v) << v;
    }
    EXPECT_EQ(unorm8(255), 1.0f);
}
