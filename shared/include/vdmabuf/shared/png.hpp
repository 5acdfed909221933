// PNG I/O for screenshot tests and debugging dumps (libpng).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace vdmabuf {

// A CPU image in DRM_FORMAT_ARGB8888 or DRM_FORMAT_XRGB8888: on little-endian
// hosts, bytes B, G, R, A (or X) in memory. stride is bytes per row (>= width * 4).
struct Image {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t stride = 0;
    uint32_t fourcc = 0;
    std::vector<uint8_t> pixels;
};

// Writes an 8-bit PNG, fast (zlib level 1, Sub filter): RGBA for ARGB, RGB for
// XRGB (the X byte is dropped), so an XRGB image reads back as ARGB with opaque
// alpha. Logs and returns false on failure (and removes the partial file).
[[nodiscard]] bool write_png(const char* path, const Image& image);
// Same, for borrowed memory (a mapped dmabuf, a pixman image).
[[nodiscard]] bool write_png(const char* path, const uint8_t* pixels, uint32_t width,
                             uint32_t height, uint32_t stride, uint32_t fourcc);

// Reads any PNG libpng can expand to 8-bit RGBA (palette, grey, 16-bit, tRNS,
// interlaced). Returned as ARGB8888 with stride = width * 4; nullopt (logged)
// on failure. Non-premultiplied alpha, as stored in the file.
[[nodiscard]] std::optional<Image> read_png(const char* path);

} // namespace vdmabuf
