// write_png's row converters: BGRA/BGRX to the file's RGBA/RGB, plain (the
// zlib encoder) or through the Sub filter (the fast encoder, png_fast.cpp),
// with SSSE3 where the CPU has it.
#include "png_fast.hpp"

#include <cstring>
#if defined(__x86_64__)
#include <tmmintrin.h>
#endif

namespace vdmabuf::png_detail {
namespace {

// Byte-wise a - b mod 256 in each of the 4 bytes, no borrow between them.
uint32_t sub_bytes(uint32_t a, uint32_t b) {
    constexpr uint32_t h = 0x80808080u;
    return ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h);
}

// One row for the Sub filter (type 1): each byte minus the same channel of
// the pixel to its left. Gradients become runs, flat areas zeros; rows equal
// before are equal after, so matches with the row above still work.
void bgra_to_rgb_sub_scalar(const uint8_t* src, uint8_t* dst, uint32_t width, bool has_alpha) {
    uint32_t left = 0;
    for (uint32_t x = 0; x < width; ++x, src += 4) {
        uint32_t v;
        std::memcpy(&v, src, 4);
        v = has_alpha ? (v & 0xff00ff00u) | ((v >> 16) & 0xffu) | ((v & 0xffu) << 16)
                      : __builtin_bswap32(v) >> 8; // R G B 0
        const uint32_t f = sub_bytes(v, left);
        left = v;
        if (has_alpha || x + 1 < width) { // RGB: the 4th byte is overwritten next
            std::memcpy(dst, &f, 4);
            dst += has_alpha ? 4 : 3;
        } else {
            std::memcpy(dst, &f, 3);
        }
    }
}

#if defined(__x86_64__)
// The same with SSSE3, 4 pixels a step: each minus its left neighbour, then
// reordered to R G B (A) by one shuffle. The 16-byte store of RGB runs up to 4
// bytes past the row (the caller leaves room); the rest of the row scalar.
__attribute__((target("ssse3"))) void bgra_to_rgb_sub_ssse3(const uint8_t* src, uint8_t* dst,
                                                             uint32_t width, bool has_alpha) {
    const __m128i order = has_alpha
                              ? _mm_setr_epi8(2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15)
                              : _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    const uint32_t step = has_alpha ? 16 : 12;
    __m128i prev = _mm_setzero_si128();
    uint32_t x = 0;
    for (; x + 4 <= width; x += 4, src += 16, dst += step) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
        const __m128i left = _mm_or_si128(_mm_slli_si128(v, 4), _mm_srli_si128(prev, 12));
        prev = v;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst),
                         _mm_shuffle_epi8(_mm_sub_epi8(v, left), order));
    }
    if (x == width)
        return;
    // The last 1..3 pixels, starting from the left pixel the vector part saw.
    const uint32_t last = x ? uint32_t(_mm_cvtsi128_si32(_mm_srli_si128(prev, 12))) : 0;
    for (uint32_t left = has_alpha ? (last & 0xff00ff00u) | ((last >> 16) & 0xffu) |
                                         ((last & 0xffu) << 16)
                                   : __builtin_bswap32(last) >> 8;
         x < width; ++x, src += 4) {
        uint32_t v;
        std::memcpy(&v, src, 4);
        v = has_alpha ? (v & 0xff00ff00u) | ((v >> 16) & 0xffu) | ((v & 0xffu) << 16)
                      : __builtin_bswap32(v) >> 8;
        const uint32_t f = sub_bytes(v, left);
        left = v;
        std::memcpy(dst, &f, 4); // within the caller's room
        dst += has_alpha ? 4 : 3;
    }
}

bool have_ssse3() {
    static const bool yes = __builtin_cpu_supports("ssse3");
    return yes;
}
#endif

} // namespace

void bgra_to_rgb_sub(const uint8_t* src, uint8_t* dst, uint32_t width, bool has_alpha) {
#if defined(__x86_64__)
    if (have_ssse3())
        return bgra_to_rgb_sub_ssse3(src, dst, width, has_alpha);
#endif
    bgra_to_rgb_sub_scalar(src, dst, width, has_alpha);
}

void bgra_to_rgb(const uint8_t* src, uint8_t* dst, uint32_t width, bool has_alpha) {
    // A pixel at a time as one 32-bit word (little-endian: B | G << 8 | R << 16 | A << 24).
    for (uint32_t x = 0; x < width; ++x, src += 4) {
        uint32_t v;
        std::memcpy(&v, src, 4);
        if (has_alpha) { // R G B A: swap bytes 0 and 2
            v = (v & 0xff00ff00u) | ((v >> 16) & 0xffu) | ((v & 0xffu) << 16);
            std::memcpy(dst, &v, 4);
            dst += 4;
        } else if (x + 1 < width) { // R G B and a byte the next pixel overwrites
            v = __builtin_bswap32(v) >> 8;
            std::memcpy(dst, &v, 4);
            dst += 3;
        } else { // the row's last: exactly 3 bytes
            dst[0] = src[2];
            dst[1] = src[1];
            dst[2] = src[0];
        }
    }
}

} // namespace vdmabuf::png_detail
