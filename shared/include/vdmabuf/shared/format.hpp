// Pixel-format table keyed by DRM fourcc, plus overflow-safe plane validation.
//
// Endianness: DRM fourccs name the channels of a little-endian word, most
// significant first: ARGB8888 is the uint32 0xAARRGGBB, stored in memory as
// bytes B, G, R, A. pixman's a8r8g8b8 names the same native-endian word, so
// on little-endian hosts (the only ones we support) the two agree.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace vdmabuf {

inline constexpr unsigned kMaxPlanes = 4;

struct FormatInfo {
    uint32_t fourcc;
    const char* name; // e.g. "XRGB8888"
    uint8_t num_planes;
    // Per plane: bytes per (sub-sampled) pixel, and the horizontal/vertical
    // subsampling divisors (NV12's UV plane: 2 bytes, 2x2).
    std::array<uint8_t, kMaxPlanes> bpp;
    std::array<uint8_t, kMaxPlanes> hsub;
    std::array<uint8_t, kMaxPlanes> vsub;
    bool has_alpha;
    uint32_t opaque_fourcc; // same layout with alpha ignored (ARGB -> XRGB); self if opaque
    uint32_t pixman_format; // pixman_format_code_t, 0 if pixman has none
    uint32_t gl_format;     // GLES glTexImage2D format, 0 if no direct upload
    uint32_t gl_type;       // GLES glTexImage2D type, 0 if no direct upload
};

// nullptr for formats not in the table.
[[nodiscard]] const FormatInfo* format_info(uint32_t fourcc);
// nullptr if no table entry uses that pixman format.
[[nodiscard]] const FormatInfo* format_from_pixman(uint32_t pixman_format);
// "XR24"-style four characters, or "0x%08x" when not printable.
[[nodiscard]] std::string format_name(uint32_t fourcc);

// Minimum bytes per row of `plane` for a width-pixel image: ceil(width / hsub) * bpp.
// 64-bit, so it cannot overflow for any uint32 width. 0 if plane is out of range.
[[nodiscard]] uint64_t min_stride(const FormatInfo& fmt, unsigned plane, uint32_t width);

// Whether a plane with these (untrusted, e.g. guest-supplied) parameters lies
// within a buffer of buffer_size bytes: plane < num_planes, width and height
// non-zero, stride >= min_stride, and offset + stride * ceil(height / vsub)
// <= buffer_size. Computed in 64 bits, which cannot overflow for uint32 inputs.
// Never asserts; false on any violation.
[[nodiscard]] bool plane_fits(const FormatInfo& fmt, unsigned plane, uint32_t width,
                              uint32_t height, uint32_t offset, uint32_t stride,
                              uint64_t buffer_size);

} // namespace vdmabuf
