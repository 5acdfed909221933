#include <vdmabuf/shared/format.hpp>

#include <cstdio>
#include <drm_fourcc.h>
#include <pixman.h>

namespace vdmabuf {
namespace {

// GLES enum values, written out so shared/ does not depend on GL headers.
constexpr uint32_t kGlRgb = 0x1907;              // GL_RGB
constexpr uint32_t kGlRgba = 0x1908;             // GL_RGBA
constexpr uint32_t kGlBgraExt = 0x80E1;          // GL_BGRA_EXT (EXT_texture_format_BGRA8888)
constexpr uint32_t kGlUnsignedByte = 0x1401;     // GL_UNSIGNED_BYTE
constexpr uint32_t kGlUnsignedShort565 = 0x8363; // GL_UNSIGNED_SHORT_5_6_5

// GL format/type describe bytes in memory, DRM describes a little-endian word:
// XRGB8888 is bytes B,G,R,X -> GL_BGRA_EXT; XBGR8888 is bytes R,G,B,X -> GL_RGBA.
// RGB565 matches GL_UNSIGNED_SHORT_5_6_5 (R in the high bits of a native short).
// XRGB2101010 has no GLES upload: GL_UNSIGNED_INT_2_10_10_10_REV puts R in the
// low bits, i.e. it is ABGR2101010. NV12 needs per-plane R8/RG8 textures, so 0.
constexpr FormatInfo kFormats[] = {
    {DRM_FORMAT_XRGB8888,
     "XRGB8888",
     1,
     {4},
     {1},
     {1},
     false,
     DRM_FORMAT_XRGB8888,
     PIXMAN_x8r8g8b8,
     kGlBgraExt,
     kGlUnsignedByte},
    {DRM_FORMAT_ARGB8888,
     "ARGB8888",
     1,
     {4},
     {1},
     {1},
     true,
     DRM_FORMAT_XRGB8888,
     PIXMAN_a8r8g8b8,
     kGlBgraExt,
     kGlUnsignedByte},
    {DRM_FORMAT_XBGR8888,
     "XBGR8888",
     1,
     {4},
     {1},
     {1},
     false,
     DRM_FORMAT_XBGR8888,
     PIXMAN_x8b8g8r8,
     kGlRgba,
     kGlUnsignedByte},
    {DRM_FORMAT_ABGR8888,
     "ABGR8888",
     1,
     {4},
     {1},
     {1},
     true,
     DRM_FORMAT_XBGR8888,
     PIXMAN_a8b8g8r8,
     kGlRgba,
     kGlUnsignedByte},
    {DRM_FORMAT_RGB565,
     "RGB565",
     1,
     {2},
     {1},
     {1},
     false,
     DRM_FORMAT_RGB565,
     PIXMAN_r5g6b5,
     kGlRgb,
     kGlUnsignedShort565},
    {DRM_FORMAT_XRGB2101010,
     "XRGB2101010",
     1,
     {4},
     {1},
     {1},
     false,
     DRM_FORMAT_XRGB2101010,
     PIXMAN_x2r10g10b10,
     0,
     0},
    // Y plane full resolution, interleaved UV plane subsampled 2x2. pixman has no NV12.
    {DRM_FORMAT_NV12, "NV12", 2, {1, 2}, {1, 2}, {1, 2}, false, DRM_FORMAT_NV12, 0, 0, 0},
};

uint64_t ceil_div(uint32_t value, uint8_t divisor) {
    return (static_cast<uint64_t>(value) + divisor - 1) / divisor;
}

} // namespace

const FormatInfo* format_info(uint32_t fourcc) {
    for (const auto& f : kFormats)
        if (f.fourcc == fourcc)
            return &f;
    return nullptr;
}

const FormatInfo* format_from_pixman(uint32_t pixman_format) {
    if (pixman_format == 0)
        return nullptr;
    for (const auto& f : kFormats)
        if (f.pixman_format == pixman_format)
            return &f;
    return nullptr;
}

std::string format_name(uint32_t fourcc) {
    char buf[16];
    bool printable = true;
    for (int i = 0; i < 4; ++i) {
        auto c = static_cast<char>((fourcc >> (8 * i)) & 0xff);
        printable = printable && c >= 0x20 && c < 0x7f;
        buf[i] = c;
    }
    if (!printable)
        snprintf(buf, sizeof buf, "0x%08x", fourcc);
    else
        buf[4] = '\0';
    return buf;
}

uint64_t min_stride(const FormatInfo& fmt, unsigned plane, uint32_t width) {
    if (plane >= fmt.num_planes || plane >= kMaxPlanes || fmt.hsub[plane] == 0)
        return 0;
    return ceil_div(width, fmt.hsub[plane]) * fmt.bpp[plane];
}

bool plane_fits(const FormatInfo& fmt, unsigned plane, uint32_t width, uint32_t height,
                uint32_t offset, uint32_t stride, uint64_t buffer_size) {
    if (plane >= fmt.num_planes || plane >= kMaxPlanes || width == 0 || height == 0)
        return false;
    if (fmt.hsub[plane] == 0 || fmt.vsub[plane] == 0)
        return false;
    // All terms < 2^35 (ceil(w) * bpp) or < 2^64 ((2^32-1)^2 + 2^32-1), so no overflow.
    if (stride < min_stride(fmt, plane, width))
        return false;
    uint64_t rows = ceil_div(height, fmt.vsub[plane]);
    uint64_t end = static_cast<uint64_t>(offset) + static_cast<uint64_t>(stride) * rows;
    return end <= buffer_size;
}

} // namespace vdmabuf
