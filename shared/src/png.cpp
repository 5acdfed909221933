#define VDM_LOG_SCOPE "png"
#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/log.hpp>

#include "png_fast.hpp"

#include <csetjmp>
#include <cstdio>
#include <drm_fourcc.h>
#include <png.h>
#include <unistd.h>
#include <utility>
#include <zlib.h>

namespace vdmabuf {
namespace {

// Refuse images whose decoded size exceeds this: PNG headers are untrusted input.
constexpr uint64_t kMaxDecodedBytes = uint64_t{1} << 30;

using File = CHandle<FILE, &fclose>;

// libpng's default handlers print to stderr; route them into our log instead.
// The error handler must not return: png_longjmp unwinds to the setjmp below.
// The error pointer is the file path, so messages say which file failed.
const char* png_path(png_structp png) {
    return static_cast<const char*>(png_get_error_ptr(png));
}
[[noreturn]] void on_png_error(png_structp png, png_const_charp msg) {
    VDM_ERROR("%s: libpng: %s", png_path(png), msg);
    png_longjmp(png, 1);
}
void on_png_warning(png_structp png, png_const_charp msg) {
    VDM_DEBUG("%s: libpng warning: %s", png_path(png), msg);
}

int filter_flags(PngFilter f) {
    switch (f) {
    case PngFilter::none: return PNG_FILTER_NONE;
    case PngFilter::sub: return PNG_FILTER_SUB;
    case PngFilter::up: return PNG_FILTER_UP;
    case PngFilter::paeth: return PNG_FILTER_PAETH;
    case PngFilter::adaptive: break;
    }
    return PNG_ALL_FILTERS;
}

bool write_rows(png_structp png, png_infop info, FILE* file, const uint8_t* pixels, uint32_t width,
                uint32_t height, uint32_t stride, bool has_alpha, const PngOptions& options,
                uint8_t* row) {
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, has_alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, options.level);
    png_set_compression_strategy(png, options.rle ? Z_RLE : Z_DEFAULT_STRATEGY);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filter_flags(options.filter));
    // Larger IDAT chunks: fewer chunk headers, CRCs and stdio writes.
    png_set_compression_buffer_size(png, 256 * 1024);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; ++y) {
        png_detail::bgra_to_rgb(pixels + static_cast<size_t>(y) * stride, row, width, has_alpha);
        png_write_row(png, row);
    }
    png_write_end(png, info);
    return true;
}

// Reads the header, sets up the 8-bit BGRA transforms and sizes `image` and `rows`.
bool read_all(png_structp png, png_infop info, FILE* file, Image& image,
              std::vector<png_bytep>& rows) {
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_init_io(png, file);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if (uint64_t{width} * height * 4 > kMaxDecodedBytes) {
        VDM_ERROR("%s: image %ux%u too large", png_path(png), width, height);
        return false;
    }
    int color = png_get_color_type(png, info);
    // Expand everything to 8-bit RGBA, then swap to BGRA (= ARGB8888 on little-endian).
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER); // no-op if alpha already present
    png_set_bgr(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != size_t{width} * 4) {
        VDM_ERROR("%s: unexpected row size %zu for width %u", png_path(png),
                  png_get_rowbytes(png, info), width);
        return false;
    }

    image.width = width;
    image.height = height;
    image.stride = width * 4;
    image.fourcc = DRM_FORMAT_ARGB8888;
    image.pixels.resize(size_t{image.stride} * height);
    rows.resize(height);
    for (png_uint_32 y = 0; y < height; ++y)
        rows[y] = image.pixels.data() + size_t{y} * image.stride;
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    return true;
}

bool close_file(const char* path, File file, bool ok) {
    // fclose flushes: a full disk shows up here, not in the writes.
    if (fclose(file.release()) != 0) {
        VDM_ERRNO("fclose(%s) failed", path);
        ok = false;
    }
    if (!ok)
        unlink(path);
    return ok;
}

// The fast encoder's file; *done false (nothing written) where it gave up.
bool write_fast(const char* path, FILE* file, const uint8_t* pixels, uint32_t width,
                uint32_t height, uint32_t stride, bool has_alpha, bool* done) {
    std::vector<uint8_t> png;
    *done = png_detail::encode_fast(pixels, width, height, stride, has_alpha, png);
    if (!*done)
        return true;
    const bool ok = fwrite(png.data(), 1, png.size(), file) == png.size();
    if (!ok)
        VDM_ERRNO("write(%s) failed", path);
    return ok;
}

} // namespace

std::optional<PngOptions> parse_png_level(std::string_view level, PngOptions o) {
    o.fast = level == "fast";
    o.rle = false;
    if (o.fast)
        return o;
    o.level = 1;
    if (level == "rle") {
        o.rle = true;
        return o;
    }
    if (level.size() != 1 || level[0] < '0' || level[0] > '9')
        return std::nullopt;
    o.level = level[0] - '0';
    return o;
}

std::optional<PngFilter> parse_png_filter(std::string_view filter) {
    static constexpr std::pair<std::string_view, PngFilter> names[] = {
        {"none", PngFilter::none}, {"sub", PngFilter::sub}, {"up", PngFilter::up},
        {"paeth", PngFilter::paeth}, {"adaptive", PngFilter::adaptive}};
    for (const auto& [name, f] : names)
        if (filter == name)
            return f;
    return std::nullopt;
}

std::string describe(const PngOptions& o) {
    static constexpr const char* filters[] = {"none", "sub", "up", "paeth", "adaptive"};
    if (o.fast)
        return "fast";
    return "zlib " + (o.rle ? std::string("rle") : std::to_string(o.level)) + " " +
           filters[static_cast<int>(o.filter)];
}

bool write_png(const char* path, const uint8_t* pixels, uint32_t width, uint32_t height,
               uint32_t stride, uint32_t fourcc, const PngOptions& options) {
    if (options.level < 0 || options.level > 9) {
        VDM_ERROR("%s: zlib level %d is not 0..9", path, options.level);
        return false;
    }
    if (fourcc != DRM_FORMAT_ARGB8888 && fourcc != DRM_FORMAT_XRGB8888) {
        VDM_ERROR("%s: unsupported fourcc 0x%08x", path, fourcc);
        return false;
    }
    if (!pixels || width == 0 || height == 0 || uint64_t{stride} < uint64_t{width} * 4) {
        VDM_ERROR("%s: bad image %ux%u stride %u", path, width, height, stride);
        return false;
    }
    File file{fopen(path, "wbe")};
    if (!file) {
        VDM_ERRNO("fopen(%s) failed", path);
        return false;
    }
    if (options.fast) {
        bool done = false;
        const bool ok = write_fast(path, file.get(), pixels, width, height, stride,
                                   fourcc == DRM_FORMAT_ARGB8888, &done);
        if (done || !ok)
            return close_file(path, std::move(file), ok);
        // Not screen-like: zlib level 1, Sub (nothing was written yet).
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, const_cast<char*>(path),
                                              on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info)
        VDM_ERROR("%s: png_create_write_struct failed", path);
    std::vector<uint8_t> row(size_t{width} * 4);
    bool ok = info && write_rows(png, info, file.get(), pixels, width, height, stride,
                                 fourcc == DRM_FORMAT_ARGB8888,
                                 options.fast ? PngOptions{false, 1, PngFilter::sub, false}
                                              : options,
                                 row.data());
    // Nulls png and info: test them before, never after.
    png_destroy_write_struct(png ? &png : nullptr, info ? &info : nullptr);
    return close_file(path, std::move(file), ok);
}

bool write_png(const char* path, const Image& image, const PngOptions& options) {
    if (image.height == 0 || image.pixels.size() < uint64_t{image.stride} * (image.height - 1) +
                                                       uint64_t{image.width} * 4) {
        VDM_ERROR("%s: pixel buffer too small for %ux%u stride %u", path, image.width, image.height,
                  image.stride);
        return false;
    }
    return write_png(path, image.pixels.data(), image.width, image.height, image.stride,
                     image.fourcc, options);
}

std::optional<Image> read_png(const char* path) {
    File file{fopen(path, "rbe")};
    if (!file) {
        VDM_ERRNO("fopen(%s) failed", path);
        return std::nullopt;
    }
    png_byte sig[8];
    if (fread(sig, 1, sizeof sig, file.get()) != sizeof sig || png_sig_cmp(sig, 0, sizeof sig)) {
        VDM_ERROR("%s: not a PNG file", path);
        return std::nullopt;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, const_cast<char*>(path),
                                             on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info) {
        VDM_ERROR("%s: png_create_read_struct failed", path);
        png_destroy_read_struct(png ? &png : nullptr, info ? &info : nullptr, nullptr);
        return std::nullopt;
    }
    png_set_sig_bytes(png, sizeof sig);
    Image image;
    std::vector<png_bytep> rows;
    bool ok = read_all(png, info, file.get(), image, rows);
    png_destroy_read_struct(&png, &info, nullptr);
    if (!ok)
        return std::nullopt; // already logged by the error handler or read_all
    return image;
}

} // namespace vdmabuf
