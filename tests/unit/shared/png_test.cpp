#include <vdmabuf/shared/png.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <drm_fourcc.h>
#include <filesystem>
#include <png.h>
#include <zlib.h>

#include "huffman.hpp"
#include "png_fast.hpp"
#include <string>

using namespace vdmabuf;

namespace {

class PngTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/vdmabuf-png-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    [[nodiscard]] std::string path(const char* name) const { return dir_ + "/" + name; }

    std::string dir_;
};

// Deterministic pseudo-random bytes, so every channel value (including
// alpha 0 and partial alpha, which break premultiplying codecs) appears.
Image make_image(uint32_t width, uint32_t height, uint32_t stride, uint32_t fourcc) {
    Image img{width, height, stride, fourcc, {}};
    img.pixels.resize(size_t{stride} * height);
    uint32_t state = 0x12345678u ^ width ^ (height << 16);
    for (auto& b : img.pixels) {
        state = state * 1664525u + 1013904223u;
        b = static_cast<uint8_t>(state >> 24);
    }
    return img;
}

// Compares the visible width*4 bytes of each row; padding is ignored.
void expect_same_pixels(const Image& want, const Image& got, bool force_opaque) {
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    ASSERT_EQ(got.fourcc, DRM_FORMAT_ARGB8888);
    ASSERT_EQ(got.stride, got.width * 4);
    ASSERT_EQ(got.pixels.size(), size_t{got.stride} * got.height);
    size_t mismatches = 0;
    for (uint32_t y = 0; y < want.height; ++y) {
        const uint8_t* w = want.pixels.data() + size_t{y} * want.stride;
        const uint8_t* g = got.pixels.data() + size_t{y} * got.stride;
        for (uint32_t i = 0; i < want.width * 4; ++i) {
            uint8_t expected = (force_opaque && i % 4 == 3) ? 0xff : w[i];
            if (g[i] != expected && mismatches++ < 5)
                ADD_FAILURE() << "pixel (" << i / 4 << "," << y << ") byte " << i % 4 << ": got "
                              << int{g[i]} << " want " << int{expected};
        }
    }
    EXPECT_EQ(mismatches, 0u);
}

} // namespace

TEST_F(PngTest, ArgbRoundTripIsByteExact) {
    Image img = make_image(64, 48, 64 * 4, DRM_FORMAT_ARGB8888);
    auto p = path("argb.png");
    ASSERT_TRUE(write_png(p.c_str(), img));
    auto back = read_png(p.c_str());
    ASSERT_TRUE(back);
    expect_same_pixels(img, *back, false);
}

TEST_F(PngTest, OddWidthPaddedStrideRoundTrip) {
    // Non-square, odd width, stride with padding that must not leak into the file.
    Image img = make_image(37, 5, 37 * 4 + 12, DRM_FORMAT_ARGB8888);
    auto p = path("odd.png");
    ASSERT_TRUE(
        write_png(p.c_str(), img.pixels.data(), img.width, img.height, img.stride, img.fourcc));
    auto back = read_png(p.c_str());
    ASSERT_TRUE(back);
    expect_same_pixels(img, *back, false);
}

TEST_F(PngTest, XrgbReadsBackOpaque) {
    Image img = make_image(3, 7, 3 * 4, DRM_FORMAT_XRGB8888);
    img.pixels[3] = 0; // an X byte of 0 must still come back as alpha 255
    auto p = path("xrgb.png");
    ASSERT_TRUE(write_png(p.c_str(), img));
    auto back = read_png(p.c_str());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->pixels[3], 0xff);
    expect_same_pixels(img, *back, true);
}

TEST_F(PngTest, ChannelOrderIsBgraInMemory) {
    // One pixel, ARGB8888 0x80112233 -> bytes 33 22 11 80 (B G R A).
    Image img{1, 1, 4, DRM_FORMAT_ARGB8888, {0x33, 0x22, 0x11, 0x80}};
    auto p = path("one.png");
    ASSERT_TRUE(write_png(p.c_str(), img));
    // Read with libpng directly: the file must say R=0x11 G=0x22 B=0x33 A=0x80.
    png_image pi{};
    pi.version = PNG_IMAGE_VERSION;
    ASSERT_TRUE(png_image_begin_read_from_file(&pi, p.c_str()));
    pi.format = PNG_FORMAT_RGBA;
    uint8_t rgba[4] = {};
    ASSERT_TRUE(png_image_finish_read(&pi, nullptr, rgba, 0, nullptr));
    EXPECT_EQ(rgba[0], 0x11);
    EXPECT_EQ(rgba[1], 0x22);
    EXPECT_EQ(rgba[2], 0x33);
    EXPECT_EQ(rgba[3], 0x80);
}

TEST_F(PngTest, ReadsGrayscalePng) {
    // A 2x1 8-bit grey PNG written by libpng's simplified API expands to opaque BGRA.
    png_image pi{};
    pi.version = PNG_IMAGE_VERSION;
    pi.width = 2;
    pi.height = 1;
    pi.format = PNG_FORMAT_GRAY;
    const uint8_t grey[2] = {0x10, 0xf0};
    auto p = path("grey.png");
    ASSERT_TRUE(png_image_write_to_file(&pi, p.c_str(), 0, grey, 0, nullptr));
    auto back = read_png(p.c_str());
    ASSERT_TRUE(back);
    ASSERT_EQ(back->width, 2u);
    const uint8_t want[8] = {0x10, 0x10, 0x10, 0xff, 0xf0, 0xf0, 0xf0, 0xff};
    ASSERT_EQ(back->pixels.size(), 8u);
    EXPECT_EQ(std::memcmp(back->pixels.data(), want, 8), 0);
}

TEST_F(PngTest, Failures) {
    Image img = make_image(4, 4, 16, DRM_FORMAT_ARGB8888);
    auto p = path("bad.png");
    EXPECT_FALSE(write_png(p.c_str(), img.pixels.data(), 4, 4, 16, DRM_FORMAT_NV12));
    EXPECT_FALSE(write_png(p.c_str(), img.pixels.data(), 4, 4, 15, DRM_FORMAT_ARGB8888));
    EXPECT_FALSE(write_png(p.c_str(), nullptr, 4, 4, 16, DRM_FORMAT_ARGB8888));
    Image short_img = img;
    short_img.pixels.resize(16 * 3 + 15);
    EXPECT_FALSE(write_png(p.c_str(), short_img));
    EXPECT_FALSE(std::filesystem::exists(p));
    EXPECT_FALSE(write_png(path("no/such/dir.png").c_str(), img));

    EXPECT_FALSE(read_png(path("missing.png").c_str()));
    // Not a PNG.
    FILE* f = fopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    fputs("definitely not a png file", f);
    fclose(f);
    EXPECT_FALSE(read_png(p.c_str()));
    // A valid PNG cut short: libpng errors mid-stream and we must recover.
    auto good = path("good.png");
    ASSERT_TRUE(write_png(good.c_str(), make_image(32, 32, 128, DRM_FORMAT_ARGB8888)));
    std::filesystem::resize_file(good, std::filesystem::file_size(good) / 2);
    EXPECT_FALSE(read_png(good.c_str()));
}

// A screen-like image: flat areas, rows equal to the one above, runs longer
// than deflate's 258-byte matches, runs of 3..5 bytes, and noise between.
Image make_screen(uint32_t width, uint32_t height, uint32_t fourcc) {
    Image img = make_image(width, height, width * 4 + 8, fourcc);
    for (uint32_t y = 0; y < height; ++y) {
        uint8_t* row = img.pixels.data() + size_t{y} * img.stride;
        if (y % 7 == 3 && y > 0) { // a repeated row
            std::memcpy(row, row - img.stride, size_t{width} * 4);
            continue;
        }
        for (uint32_t x = 0; x < width; ++x) {
            uint8_t* p = row + size_t{x} * 4;
            if (x < width / 2 || (x / 3) % 5 == 0) { // a flat band, and short runs
                p[0] = 0x30;
                p[1] = uint8_t(0x40 + (y / 16));
                p[2] = 0x50;
                p[3] = 0xff;
            }
        }
    }
    return img;
}

PngOptions zlib_options(int level, PngFilter filter, bool rle) {
    PngOptions o;
    o.fast = false;
    o.level = level;
    o.filter = filter;
    o.rle = rle;
    return o;
}

// Every encoder setting reads back byte for byte, RGB and RGBA, including a
// row longer than deflate's 32 KiB window (no match with the row above).
TEST_F(PngTest, EveryOptionRoundTripsScreenLikeImages) {
    const PngOptions options[] = {
        PngOptions{}, zlib_options(1, PngFilter::sub, false), zlib_options(0, PngFilter::none, false),
        zlib_options(6, PngFilter::adaptive, false), zlib_options(1, PngFilter::up, true),
        zlib_options(9, PngFilter::paeth, false)};
    const std::pair<uint32_t, uint32_t> sizes[] = {{1, 1}, {2, 3}, {173, 61}, {9000, 3}};
    for (const PngOptions& o : options)
        for (uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888})
            for (auto [w, h] : sizes) {
                SCOPED_TRACE(describe(o) + " " + std::to_string(w) + "x" + std::to_string(h) +
                             (fourcc == DRM_FORMAT_ARGB8888 ? " argb" : " xrgb"));
                Image img = make_screen(w, h, fourcc);
                auto p = path("screen.png");
                ASSERT_TRUE(write_png(p.c_str(), img, o));
                auto back = read_png(p.c_str());
                ASSERT_TRUE(back);
                expect_same_pixels(img, *back, fourcc == DRM_FORMAT_XRGB8888);
            }
}

TEST_F(PngTest, FastEncoderCompressesAScreen) {
    // A 1920x1080 screen of one colour with a noisy window: the flat part must
    // cost next to nothing (matches with the row above), the noise ~1 byte a byte.
    Image img = make_image(1920, 1080, 1920 * 4, DRM_FORMAT_XRGB8888);
    for (uint32_t y = 0; y < 1080; ++y)
        for (uint32_t x = 0; x < 1920; ++x)
            if (x >= 100 || y >= 100)
                std::memcpy(img.pixels.data() + size_t{y} * img.stride + size_t{x} * 4,
                            "\x40\x30\x20\xff", 4);
    auto p = path("flat.png");
    ASSERT_TRUE(write_png(p.c_str(), img));
    const auto size = std::filesystem::file_size(p);
    EXPECT_LT(size, 100u * 100 * 3 * 9 / 8 + 64 * 1024) << "bytes";
    EXPECT_GT(size, 100u * 100 * 3) << "the noise cannot compress";
    auto back = read_png(p.c_str());
    ASSERT_TRUE(back);
    expect_same_pixels(img, *back, true);
}

TEST_F(PngTest, FastEncoderStoresWhatItCannotCompress) {
    // Noise: the fixed codes would take 8-9 bits a byte; stored blocks instead
    // (more than one: a block holds at most 65535 bytes).
    Image img = make_image(300, 200, 300 * 4, DRM_FORMAT_XRGB8888);
    auto p = path("noise.png");
    ASSERT_TRUE(write_png(p.c_str(), img));
    const size_t raw = (1 + 300 * 3) * 200;
    EXPECT_LE(std::filesystem::file_size(p), raw + 5 * (raw / 65535 + 1) + 64);
    auto back = read_png(p.c_str());
    ASSERT_TRUE(back);
    expect_same_pixels(img, *back, true);
}

std::vector<char> file_bytes(const std::string& path) {
    std::vector<char> bytes(std::filesystem::file_size(path));
    FILE* f = fopen(path.c_str(), "rb");
    EXPECT_NE(f, nullptr);
    if (f) {
        EXPECT_EQ(fread(bytes.data(), 1, bytes.size(), f), bytes.size());
        fclose(f);
    }
    return bytes;
}

TEST_F(PngTest, FastEncoderLeavesGradientsToZlib) {
    // A 2D gradient: no runs, no row equal to the one above, under 3:1 for
    // the fast encoder; the default then writes what zlib level 1 + Sub does.
    Image img{1024, 512, 1024 * 4, DRM_FORMAT_XRGB8888, {}};
    img.pixels.resize(size_t{img.stride} * img.height);
    for (uint32_t y = 0; y < img.height; ++y)
        for (uint32_t x = 0; x < img.width; ++x) {
            uint8_t* p = img.pixels.data() + size_t{y} * img.stride + size_t{x} * 4;
            p[0] = uint8_t(x * y / 7);
            p[1] = uint8_t(x * 3 + y * 5);
            p[2] = uint8_t((x ^ y) * 11);
        }
    auto fast = path("gradient-fast.png"), zlib = path("gradient-zlib.png");
    ASSERT_TRUE(write_png(fast.c_str(), img));
    ASSERT_TRUE(write_png(zlib.c_str(), img, zlib_options(1, PngFilter::sub, false)));
    EXPECT_EQ(file_bytes(fast), file_bytes(zlib));
    // A screen is the fast encoder's: not zlib's file.
    Image screen = make_image(1024, 512, 1024 * 4, DRM_FORMAT_XRGB8888); // noise in a corner
    for (uint32_t y = 0; y < 512; ++y)
        for (uint32_t x = 0; x < 1024; ++x)
            if (x >= 100 || y >= 100)
                std::memcpy(screen.pixels.data() + size_t{y} * screen.stride + size_t{x} * 4,
                            "\x40\x30\x20\xff", 4);
    ASSERT_TRUE(write_png(fast.c_str(), screen));
    ASSERT_TRUE(write_png(zlib.c_str(), screen, zlib_options(1, PngFilter::sub, false)));
    EXPECT_NE(file_bytes(fast), file_bytes(zlib));
    auto back = read_png(fast.c_str());
    ASSERT_TRUE(back);
    expect_same_pixels(screen, *back, true);
}

TEST(PngOptionsTest, ParseAndDescribe) {
    EXPECT_TRUE(parse_png_level("fast")->fast);
    auto six = parse_png_level("6");
    ASSERT_TRUE(six);
    EXPECT_FALSE(six->fast);
    EXPECT_EQ(six->level, 6);
    EXPECT_TRUE(parse_png_level("rle")->rle);
    EXPECT_FALSE(parse_png_level("10"));
    EXPECT_FALSE(parse_png_level(""));
    EXPECT_EQ(parse_png_filter("paeth"), PngFilter::paeth);
    EXPECT_FALSE(parse_png_filter("best"));
    PngOptions up = *parse_png_level("3");
    up.filter = PngFilter::up;
    EXPECT_EQ(describe(up), "zlib 3 up");
    EXPECT_EQ(describe(*parse_png_level("rle", up)), "zlib rle up");
    EXPECT_EQ(describe(PngOptions{}), "fast");
}

// The fast encoder's Adler-32 against zlib's: every tail length, block
// boundaries (5552), the worst case for overflow (all 0xff), any start value.
TEST(PngAdler32, MatchesZlib) {
    std::vector<uint8_t> data(3 * 5552 + 100);
    uint32_t state = 7;
    for (auto& b : data) {
        state = state * 1664525u + 1013904223u;
        b = uint8_t(state >> 24);
    }
    std::vector<uint8_t> ones(data.size(), 0xff);
    for (const auto* buf : {&data, &ones})
        for (size_t n : {0, 1, 15, 16, 17, 31, 5551, 5552, 5553, 5552 * 2 + 9, 3 * 5552 + 100})
            for (uint32_t start : {1u, 0u, 0xfff0fff0u, 0x12345678u % (65521u << 16)}) {
                const uint32_t want = uint32_t(adler32_z(start, buf->data(), n));
                EXPECT_EQ(png_detail::adler32(start, buf->data(), n), want)
                    << "n " << n << " start " << start;
            }
}

// Fibonacci frequencies make the optimal code 29 deep: limited to 15 (and 7),
// it stays complete (Kraft sum exactly 1) and rarer symbols never get shorter codes.
TEST(PngHuffman, LengthsAreLimitedAndComplete) {
    uint32_t freq[30];
    freq[0] = freq[1] = 1;
    for (int i = 2; i < 30; ++i)
        freq[i] = freq[i - 1] + freq[i - 2];
    for (unsigned limit : {15u, 7u}) {
        uint8_t len[30];
        png_detail::huffman_lengths(freq, 30, limit, len);
        double kraft = 0;
        for (int i = 0; i < 30; ++i) {
            EXPECT_GE(len[i], 1);
            EXPECT_LE(len[i], limit);
            if (i) {
                EXPECT_LE(len[i], len[i - 1]) << i;
            }
            kraft += std::ldexp(1.0, -len[i]);
        }
        EXPECT_DOUBLE_EQ(kraft, 1.0) << "limit " << limit;
    }
    uint32_t one[4] = {0, 5, 0, 0};
    uint8_t len[4];
    png_detail::huffman_lengths(one, 4, 15, len);
    EXPECT_EQ(len[1], 1); // a single symbol: one bit (RFC 1951 3.2.7)
    EXPECT_EQ(len[0] + len[2] + len[3], 0);
}
