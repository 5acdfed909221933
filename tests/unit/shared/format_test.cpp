#include <vdmabuf/shared/format.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <drm_fourcc.h>
#include <pixman.h>

using namespace vdmabuf;

namespace {
constexpr uint32_t kMax = UINT32_MAX;
}

TEST(Format, TableEntries) {
    const uint32_t all[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888,
                            DRM_FORMAT_ABGR8888, DRM_FORMAT_RGB565,   DRM_FORMAT_XRGB2101010,
                            DRM_FORMAT_NV12};
    for (uint32_t fourcc : all) {
        const FormatInfo* f = format_info(fourcc);
        ASSERT_NE(f, nullptr) << format_name(fourcc);
        EXPECT_EQ(f->fourcc, fourcc);
        ASSERT_GE(f->num_planes, 1);
        ASSERT_LE(f->num_planes, kMaxPlanes);
        for (unsigned p = 0; p < f->num_planes; ++p) {
            EXPECT_GT(f->bpp[p], 0);
            EXPECT_GT(f->hsub[p], 0);
            EXPECT_GT(f->vsub[p], 0);
        }
        const FormatInfo* opaque = format_info(f->opaque_fourcc);
        ASSERT_NE(opaque, nullptr);
        EXPECT_FALSE(opaque->has_alpha);
    }
    EXPECT_EQ(format_info(DRM_FORMAT_YUYV), nullptr);
    EXPECT_EQ(format_info(0), nullptr);

    const FormatInfo* argb = format_info(DRM_FORMAT_ARGB8888);
    EXPECT_STREQ(argb->name, "ARGB8888");
    EXPECT_TRUE(argb->has_alpha);
    EXPECT_EQ(argb->bpp[0], 4);
    EXPECT_EQ(argb->pixman_format, static_cast<uint32_t>(PIXMAN_a8r8g8b8));
    EXPECT_EQ(argb->gl_format, 0x80E1u); // GL_BGRA_EXT
    EXPECT_EQ(argb->gl_type, 0x1401u);   // GL_UNSIGNED_BYTE
    EXPECT_EQ(argb->opaque_fourcc, DRM_FORMAT_XRGB8888);
    EXPECT_EQ(format_info(DRM_FORMAT_XBGR8888)->gl_format, 0x1908u); // GL_RGBA
    EXPECT_FALSE(format_info(DRM_FORMAT_XRGB8888)->has_alpha);
    EXPECT_EQ(format_info(DRM_FORMAT_RGB565)->bpp[0], 2);

    const FormatInfo* nv12 = format_info(DRM_FORMAT_NV12);
    EXPECT_EQ(nv12->num_planes, 2);
    EXPECT_EQ(nv12->bpp[0], 1);
    EXPECT_EQ(nv12->bpp[1], 2);
    EXPECT_EQ(nv12->hsub[1], 2);
    EXPECT_EQ(nv12->vsub[1], 2);
    EXPECT_EQ(nv12->pixman_format, 0u);
}

TEST(Format, FromPixman) {
    const FormatInfo* f = format_from_pixman(PIXMAN_x8r8g8b8);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->fourcc, DRM_FORMAT_XRGB8888);
    ASSERT_NE(format_from_pixman(PIXMAN_a8b8g8r8), nullptr);
    EXPECT_EQ(format_from_pixman(PIXMAN_a8b8g8r8)->fourcc, DRM_FORMAT_ABGR8888);
    EXPECT_EQ(format_from_pixman(PIXMAN_r5g6b5)->fourcc, DRM_FORMAT_RGB565);
    EXPECT_EQ(format_from_pixman(PIXMAN_a4r4g4b4), nullptr);
    EXPECT_EQ(format_from_pixman(0), nullptr); // NV12's "none" must not match
}

TEST(Format, Names) {
    EXPECT_EQ(format_name(DRM_FORMAT_XRGB8888), "XR24");
    EXPECT_EQ(format_name(DRM_FORMAT_NV12), "NV12");
    EXPECT_EQ(format_name(0x00000001), "0x00000001");
    EXPECT_EQ(format_name(0xffffffff), "0xffffffff");
}

TEST(Format, MinStride) {
    const FormatInfo& xrgb = *format_info(DRM_FORMAT_XRGB8888);
    const FormatInfo& nv12 = *format_info(DRM_FORMAT_NV12);
    EXPECT_EQ(min_stride(xrgb, 0, 17), 68u);
    EXPECT_EQ(min_stride(xrgb, 0, kMax), uint64_t{kMax} * 4); // no 32-bit wrap
    EXPECT_EQ(min_stride(xrgb, 1, 16), 0u);                   // no such plane
    EXPECT_EQ(min_stride(nv12, 0, 5), 5u);
    EXPECT_EQ(min_stride(nv12, 1, 5), 6u); // ceil(5/2) * 2
    EXPECT_EQ(min_stride(nv12, 1, kMax), (uint64_t{kMax} + 1) / 2 * 2);
}

TEST(Format, PlaneFitsBasics) {
    const FormatInfo& xrgb = *format_info(DRM_FORMAT_XRGB8888);
    EXPECT_TRUE(plane_fits(xrgb, 0, 64, 32, 0, 256, 256 * 32));
    EXPECT_FALSE(plane_fits(xrgb, 0, 64, 32, 0, 256, 256 * 32 - 1)); // one byte short
    EXPECT_TRUE(plane_fits(xrgb, 0, 64, 32, 16, 256, 256 * 32 + 16));
    EXPECT_FALSE(plane_fits(xrgb, 0, 64, 32, 17, 256, 256 * 32 + 16));
    EXPECT_FALSE(plane_fits(xrgb, 0, 64, 32, 0, 255, 1 << 20)); // stride < width * 4
    EXPECT_TRUE(plane_fits(xrgb, 0, 64, 32, 0, 512, 512 * 32)); // padded stride
    EXPECT_FALSE(plane_fits(xrgb, 1, 64, 32, 0, 256, 1 << 20)); // plane out of range
    EXPECT_FALSE(plane_fits(xrgb, 7, 64, 32, 0, 256, 1 << 20));
    EXPECT_FALSE(plane_fits(xrgb, 0, 0, 32, 0, 256, 1 << 20)); // empty
    EXPECT_FALSE(plane_fits(xrgb, 0, 64, 0, 0, 256, 1 << 20));
}

TEST(Format, PlaneFitsNv12) {
    const FormatInfo& nv12 = *format_info(DRM_FORMAT_NV12);
    // 5x3: Y 5 bytes x 3 rows; UV ceil(5/2)*2 = 6 bytes x ceil(3/2) = 2 rows.
    EXPECT_TRUE(plane_fits(nv12, 0, 5, 3, 0, 5, 15));
    EXPECT_TRUE(plane_fits(nv12, 1, 5, 3, 15, 6, 27));
    EXPECT_FALSE(plane_fits(nv12, 1, 5, 3, 15, 6, 26));
    EXPECT_FALSE(plane_fits(nv12, 1, 5, 3, 15, 5, 1000)); // stride 5 < 6
}

TEST(Format, PlaneFitsOverflow) {
    const FormatInfo& xrgb = *format_info(DRM_FORMAT_XRGB8888);
    // width * 4 wraps to 0xFFFFFFFC in 32 bits; must not pass with a small stride.
    EXPECT_FALSE(plane_fits(xrgb, 0, kMax, 1, 0, kMax, UINT64_MAX));
    EXPECT_FALSE(plane_fits(xrgb, 0, 0x40000000, 1, 0, 0, UINT64_MAX)); // 2^30*4 wraps to 0
    EXPECT_FALSE(plane_fits(xrgb, 0, 0x40000001, 1, 0, 4, UINT64_MAX)); // wraps to 4
    // stride * height wraps in 32 bits (0x10000 * 0x10000 = 2^32 -> 0).
    EXPECT_FALSE(plane_fits(xrgb, 0, 0x4000, 0x10000, 0, 0x10000, 0x1000));
    EXPECT_FALSE(plane_fits(xrgb, 0, 1, kMax, 0, kMax, uint64_t{kMax} * kMax - 1));
    EXPECT_TRUE(plane_fits(xrgb, 0, 1, kMax, 0, kMax, uint64_t{kMax} * kMax));
    // offset near UINT32_MAX: offset + size wraps in 32 bits.
    EXPECT_FALSE(plane_fits(xrgb, 0, 1, 1, kMax - 2, 4, 4096));
    EXPECT_FALSE(plane_fits(xrgb, 0, 1, 1, kMax - 2, 4, uint64_t{kMax}));
    EXPECT_TRUE(plane_fits(xrgb, 0, 1, 1, kMax - 2, 4, uint64_t{kMax} + 2));
    // Everything at maximum: the largest possible end still fits in 64 bits.
    EXPECT_FALSE(plane_fits(xrgb, 0, kMax, kMax, kMax, kMax, UINT64_MAX)); // stride < min
    const FormatInfo& nv12 = *format_info(DRM_FORMAT_NV12);
    EXPECT_TRUE(plane_fits(nv12, 0, kMax, kMax, kMax, kMax, UINT64_MAX));
    EXPECT_FALSE(plane_fits(nv12, 0, kMax, kMax, kMax, kMax, UINT64_MAX / 2));
}
