// write_png's fast encoder (PngOptions::fast), see png_fast.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vdmabuf::png_detail {

// zlib's adler32(), faster (SSE2 where the compiler targets it).
[[nodiscard]] uint32_t adler32(uint32_t adler, const uint8_t* data, size_t size);

// BGRA -> RGBA, or BGRX -> RGB (no alpha channel: an opaque image reads back
// with alpha 255 all the same): one row of `width` pixels.
void bgra_to_rgb(const uint8_t* src, uint8_t* dst, uint32_t width, bool has_alpha);
// The same through the PNG Sub filter (type 1; the filter byte not included).
// RGB may write up to 4 bytes past the row (vector stores): leave room.
void bgra_to_rgb_sub(const uint8_t* src, uint8_t* dst, uint32_t width, bool has_alpha);

// The whole PNG file for a BGRA/BGRX image (RGBA or RGB in the file) into
// `png`; false when the picture is not screen-like (under 3:1 at a check
// every 256 KiB of input): zlib is then the better encoder.
[[nodiscard]] bool encode_fast(const uint8_t* pixels, uint32_t width, uint32_t height, uint32_t stride,
                 bool has_alpha, std::vector<uint8_t>& png);

} // namespace vdmabuf::png_detail
