// PNG I/O for screenshot tests and debugging dumps (libpng).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

// How write_png trades speed for size (vdmabuf-bench-e2e --only screenshot
// times each on a 1080p desktop). fast: our own encoder (Sub filter, matches
// only with the row above or the pixel to the left, one Huffman-coded block),
// several times faster than zlib on screens, files a little larger than zlib
// level 1's; pictures that are not screen-like go to zlib level 1. Otherwise
// libpng + zlib at `level` with `filter` (and Z_RLE if rle).
enum class PngFilter { none, sub, up, paeth, adaptive /* libpng picks per row */ };
struct PngOptions {
    bool fast = true;
    int level = 1;                    // zlib 0 (stored, no compression) .. 9
    PngFilter filter = PngFilter::sub;
    bool rle = false;                 // zlib's Z_RLE strategy: runs only, no searching
};
// "fast", "0".."9" or "rle" (zlib level 1, Z_RLE); nullopt for anything else.
// The filter stays as it was (sub unless set).
[[nodiscard]] std::optional<PngOptions> parse_png_level(std::string_view level,
                                                        PngOptions base = {});
// "none", "sub", "up", "paeth" or "adaptive"; nullopt for anything else.
[[nodiscard]] std::optional<PngFilter> parse_png_filter(std::string_view filter);
// "fast", "zlib 1 sub", "zlib rle up", ... for logs and tables.
[[nodiscard]] std::string describe(const PngOptions& options);

// Writes an 8-bit PNG: RGBA for ARGB, RGB for XRGB (the X byte is dropped), so
// an XRGB image reads back as ARGB with opaque alpha. Logs and returns false
// on failure (and removes the partial file). No fsync: the file is in the page
// cache when this returns.
[[nodiscard]] bool write_png(const char* path, const Image& image, const PngOptions& options = {});
// Same, for borrowed memory (a mapped dmabuf, a pixman image).
[[nodiscard]] bool write_png(const char* path, const uint8_t* pixels, uint32_t width,
                             uint32_t height, uint32_t stride, uint32_t fourcc,
                             const PngOptions& options = {});

// Reads any PNG libpng can expand to 8-bit RGBA (palette, grey, 16-bit, tRNS,
// interlaced). Returned as ARGB8888 with stride = width * 4; nullopt (logged)
// on failure. Non-premultiplied alpha, as stored in the file.
[[nodiscard]] std::optional<Image> read_png(const char* path);

} // namespace vdmabuf
