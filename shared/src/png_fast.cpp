// write_png's fast encoder: a whole PNG built in memory without a general
// deflate search. Screens repeat themselves in two ways: a row equals the one
// above (flat areas, unchanged rows) or a pixel the one to its left (runs).
// So the rows go through the Sub filter (gradients become runs too) and the
// only LZ77 matches tried are at those two distances (one pixel and one row
// back), extended 8 bytes at a time; everything else is a literal. Rows are
// made one at a time (png_rows.cpp) into a two-row buffer. The
// matches and literals then become one deflate block with Huffman codes made
// for them (RFC 1951 3.2.7); stored blocks where that would be larger than
// the data (small noisy pictures). The zlib stream's Adler-32 is ours (SSE2:
// zlib's took a third of the time), the chunks' CRC-32 zlib's.
#include "png_fast.hpp"

#include "huffman.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vdmabuf::png_detail {
namespace {

// The length of a literal/length symbol's fixed code (RFC 1951 3.2.6): the
// first pass estimates the output with them.
constexpr uint32_t fixed_length(uint32_t symbol) {
    return symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8;
}

constexpr uint16_t kLengthBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint16_t kDistanceBase[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                        33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                        1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t kDistanceExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3,  3,  4,  4,  5,  5,  6,
                                        6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
constexpr uint32_t kMaxMatch = 258, kMinMatch = 3, kMaxDistance = 32768;
// Bytes a row converter may write past the row (vector stores).
constexpr size_t kRoom = 16;
// Every 256 KiB of input: less than 3:1 so far gives up.
constexpr size_t kFirstCheck = 1u << 18, kCheckEvery = 1u << 18, kMinRatio = 3;

// A code and its extra bits as one bit string.
struct Bits {
    uint32_t bits = 0;
    uint8_t count = 0;
};

// Appends to `out` (grown as needed, trimmed by flush()).
class BitWriter {
public:
    explicit BitWriter(std::vector<uint8_t>& out) : out_(out), pos_(out.size()) {}
    void put(uint32_t bits, unsigned count) { // count <= 32
        acc_ |= uint64_t(bits) << filled_;
        filled_ += count;
        if (filled_ >= 32) {
            if (pos_ + 4 > out_.size())
                out_.resize(out_.size() * 2 + 64);
            const uint8_t b[4] = {uint8_t(acc_), uint8_t(acc_ >> 8), uint8_t(acc_ >> 16),
                                  uint8_t(acc_ >> 24)};
            std::memcpy(out_.data() + pos_, b, 4);
            pos_ += 4;
            acc_ >>= 32;
            filled_ -= 32;
        }
    }
    void flush() { // to a byte boundary
        out_.resize(pos_);
        while (filled_ > 0) {
            out_.push_back(uint8_t(acc_));
            acc_ >>= 8;
            filled_ = filled_ > 8 ? filled_ - 8 : 0;
        }
        pos_ = out_.size();
    }

private:
    std::vector<uint8_t>& out_;
    size_t pos_;
    uint64_t acc_ = 0;
    unsigned filled_ = 0;
};

// How many bytes from `a` on equal those from `b` (b < a), up to `limit`.
uint32_t match_length(const uint8_t* a, const uint8_t* b, uint32_t limit) {
    uint32_t n = 0;
    while (n + 8 <= limit) {
        uint64_t x, y;
        std::memcpy(&x, a + n, 8);
        std::memcpy(&y, b + n, 8);
        if (x != y)
            return n + uint32_t(__builtin_ctzll(x ^ y) / 8); // little-endian
        n += 8;
    }
    while (n < limit && a[n] == b[n])
        ++n;
    return n;
}

void put32be(std::vector<uint8_t>& out, uint32_t v) {
    const uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    out.insert(out.end(), b, b + 4);
}

// Appends a chunk: length, type, data, CRC-32 of type and data.
void chunk(std::vector<uint8_t>& out, const char* type, const uint8_t* data, size_t size) {
    put32be(out, uint32_t(size));
    const size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    if (size)
        out.insert(out.end(), data, data + size);
    put32be(out, uint32_t(crc32(0, out.data() + start, uInt(size + 4))));
}

// A match or literal of the first pass: a byte, or a length with the
// distance it goes back (one pixel or one row).
constexpr uint32_t kMatch = 0x80000000u, kUp = 0x40000000u;

struct DistCode {
    uint32_t symbol, extra, extra_bits;
};

DistCode distance_code(uint32_t distance) {
    uint32_t i = 29;
    while (kDistanceBase[i] > distance)
        --i;
    return {i, distance - kDistanceBase[i], kDistanceExtra[i]};
}

std::array<uint8_t, kMaxMatch + 1> length_symbols() {
    std::array<uint8_t, kMaxMatch + 1> t{};
    for (uint32_t len = kMinMatch; len <= kMaxMatch; ++len) {
        uint8_t i = 28;
        while (kLengthBase[i] > len)
            --i;
        t[len] = i;
    }
    return t;
}

// Per match length 3..258: 0..28, the length symbol less 257.
const std::array<uint8_t, kMaxMatch + 1> kLengthSymbol = length_symbols();

// The tokens as one deflate block with codes made for them (BTYPE 10).
void write_dynamic_block(BitWriter& bw, const std::vector<uint32_t>& tokens, uint32_t left,
                         uint32_t up) {
    const DistCode dist[2] = {distance_code(left), distance_code(up ? up : 1)};
    uint32_t lit_freq[286] = {}, dist_freq[30] = {};
    lit_freq[256] = 1; // end of block
    for (uint32_t t : tokens) {
        if (t & kMatch) {
            ++lit_freq[257 + kLengthSymbol[t & 0xffffu]];
            ++dist_freq[dist[(t & kUp) ? 1 : 0].symbol];
        } else {
            ++lit_freq[t];
        }
    }
    uint8_t len[286 + 30] = {};
    uint16_t code[286 + 30] = {};
    huffman_lengths(lit_freq, 286, 15, len);
    huffman_lengths(dist_freq, 30, 15, len + 286);
    if (std::all_of(len + 286, len + 316, [](uint8_t l) { return l == 0; }))
        len[286] = 1; // all literals: one unused distance code (RFC 1951 3.2.7)
    canonical_codes(len, 286, code);
    canonical_codes(len + 286, 30, code + 286);
    uint32_t hlit = 286, hdist = 30;
    while (hlit > 257 && !len[hlit - 1])
        --hlit;
    while (hdist > 1 && !len[286 + hdist - 1])
        --hdist;
    // The lengths, run-length coded: 16 repeats the last 3-6 times, 17 and 18
    // are 3-10 and 11-138 zeros.
    uint8_t all[286 + 30];
    std::copy(len, len + hlit, all);
    std::copy(len + 286, len + 286 + hdist, all + hlit);
    const uint32_t total = hlit + hdist;
    struct ClToken {
        uint8_t symbol, extra_bits, extra;
    };
    std::vector<ClToken> cl;
    for (uint32_t i = 0; i < total;) {
        const uint8_t v = all[i];
        uint32_t run = 1;
        while (i + run < total && all[i + run] == v)
            ++run;
        i += run;
        if (v == 0) {
            for (; run >= 11; run -= std::min(run, 138u))
                cl.push_back({18, 7, uint8_t(std::min(run, 138u) - 11)});
            if (run >= 3)
                cl.push_back({17, 3, uint8_t(run - 3)}), run = 0;
        } else {
            cl.push_back({v, 0, 0});
            for (--run; run >= 3; run -= std::min(run, 6u))
                cl.push_back({16, 2, uint8_t(std::min(run, 6u) - 3)});
        }
        for (; run; --run)
            cl.push_back({v, 0, 0});
    }
    uint32_t cl_freq[19] = {};
    for (const ClToken& t : cl)
        ++cl_freq[t.symbol];
    uint8_t cl_len[19] = {};
    uint16_t cl_code[19] = {};
    huffman_lengths(cl_freq, 19, 7, cl_len);
    canonical_codes(cl_len, 19, cl_code);
    static constexpr uint8_t kOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                           11, 4,  12, 3, 13, 2, 14, 1, 15};
    uint32_t hclen = 19;
    while (hclen > 4 && !cl_len[kOrder[hclen - 1]])
        --hclen;
    bw.put(1, 1); // BFINAL: the only block
    bw.put(2, 2); // BTYPE 10: dynamic Huffman codes
    bw.put(hlit - 257, 5);
    bw.put(hdist - 1, 5);
    bw.put(hclen - 4, 4);
    for (uint32_t i = 0; i < hclen; ++i)
        bw.put(cl_len[kOrder[i]], 3);
    for (const ClToken& t : cl) {
        bw.put(cl_code[t.symbol], cl_len[t.symbol]);
        bw.put(t.extra, t.extra_bits);
    }
    // Each length and the two distances as one bit string: code, then extra bits.
    Bits length_bits[kMaxMatch + 1], dist_bits[2];
    for (uint32_t m = kMinMatch; m <= kMaxMatch; ++m) {
        const uint32_t ls = kLengthSymbol[m];
        length_bits[m] = {code[257 + ls] | ((m - kLengthBase[ls]) << len[257 + ls]),
                          uint8_t(len[257 + ls] + kLengthExtra[ls])};
    }
    for (int k = 0; k < 2; ++k)
        dist_bits[k] = {code[286 + dist[k].symbol] | (dist[k].extra << len[286 + dist[k].symbol]),
                        uint8_t(len[286 + dist[k].symbol] + dist[k].extra_bits)};
    for (uint32_t t : tokens) {
        if (!(t & kMatch)) {
            bw.put(code[t], len[t]);
            continue;
        }
        const Bits& l = length_bits[t & 0xffffu];
        const Bits& d = dist_bits[(t & kUp) ? 1 : 0];
        bw.put(l.bits, l.count);
        bw.put(d.bits, d.count);
    }
    bw.put(code[256], len[256]); // end of block
}

} // namespace

uint32_t adler32(uint32_t adler, const uint8_t* p, size_t n) {
#if defined(__SSE2__)
    // RFC 1950: s1 = 1 + sum of bytes, s2 = sum of the s1 after each byte,
    // both mod 65521. 16 bytes a step: s1 gains their sum; s2 gains 16 * s1
    // per earlier step (ps) plus the bytes weighted 16..1. In blocks of 5552
    // bytes, the most that cannot overflow 32 bits before the modulo.
    constexpr uint32_t kBase = 65521;
    constexpr size_t kBlock = 5552;
    uint64_t s1 = adler & 0xffff, s2 = adler >> 16;
    const __m128i zero = _mm_setzero_si128();
    const __m128i w_lo = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
    const __m128i w_hi = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
    while (n >= 16) {
        const size_t k = std::min(n, kBlock) & ~size_t(15);
        n -= k;
        __m128i v1 = zero, v2 = zero, ps = zero;
        for (size_t i = 0; i < k; i += 16, p += 16) {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            ps = _mm_add_epi32(ps, v1);
            v1 = _mm_add_epi32(v1, _mm_sad_epu8(b, zero));
            v2 = _mm_add_epi32(v2, _mm_madd_epi16(_mm_unpacklo_epi8(b, zero), w_lo));
            v2 = _mm_add_epi32(v2, _mm_madd_epi16(_mm_unpackhi_epi8(b, zero), w_hi));
        }
        auto sum = [](__m128i v) {
            alignas(16) uint32_t lane[4];
            _mm_store_si128(reinterpret_cast<__m128i*>(lane), v);
            return uint64_t(lane[0]) + lane[1] + lane[2] + lane[3];
        };
        s2 = (s2 + s1 * k + 16 * sum(ps) + sum(v2)) % kBase;
        s1 = (s1 + sum(v1)) % kBase;
    }
    for (; n; --n, ++p) {
        s1 += *p;
        s2 += s1;
    }
    return uint32_t((s2 % kBase) << 16 | (s1 % kBase));
#else
    return uint32_t(adler32_z(adler, p, n));
#endif
}

bool encode_fast(const uint8_t* pixels, uint32_t width, uint32_t height, uint32_t stride,
                 bool has_alpha, std::vector<uint8_t>& png) {
    const uint32_t bpp = has_alpha ? 4 : 3;
    // The zlib stream's uncompressed data: each row its filter byte and RGB(A),
    // made a row at a time (the row above is all a match may reach): two rows
    // of memory, hot in the cache, instead of a copy of the whole frame.
    const size_t row = 1 + size_t(width) * bpp, n = row * height;
    auto fill_row = [&](uint32_t y, uint8_t* d) {
        *d = 1; // Sub
        bgra_to_rgb_sub(pixels + size_t(y) * stride, d + 1, width, has_alpha);
    };
    std::vector<uint8_t> rows(2 * (row + kRoom)); // the room after each: never into the other

    std::vector<uint8_t> z;
    z.reserve(n / 16 + 1024);
    z.push_back(0x78); // deflate, 32 KiB window
    z.push_back(0x01); // fastest; (0x78 << 8 | 0x01) % 31 == 0
    const bool up_ok = row <= kMaxDistance;
    // The fixed codes' size of a match: length code and extra bits, then the
    // 5-bit distance code and its extra bits.
    const uint32_t left_bits = 5 + distance_code(bpp).extra_bits,
                   up_bits = up_ok ? 5 + distance_code(uint32_t(row)).extra_bits : 0;
    // First pass: the matches and literals, and what the fixed codes would
    // take for them (in bits): the estimate the checks below go by.
    std::vector<uint32_t> tokens;
    tokens.reserve(n / 64);
    uint64_t estimate = 0;
    // Noise hardly matches: where the codes come out larger than the bytes
    // themselves, stored blocks are written instead (small pictures: larger
    // ones fail the 3:1 check long before).
    const size_t stored = n + 5 * (n / 65535 + 1);
    size_t done = 0, check = kFirstCheck;
    uint32_t adler = 1;
    for (uint32_t y = 0; y < height && estimate / 8 < stored; ++y, done += row) {
        if (done >= check) { // not a screen: zlib does better (gradients, photos)
            if (estimate / 8 * kMinRatio > done)
                return false;
            check += kCheckEvery;
        }
        uint8_t* cur = rows.data() + (y & 1) * (row + kRoom);
        const uint8_t* above = rows.data() + ((y + 1) & 1) * (row + kRoom);
        fill_row(y, cur);
        adler = adler32(adler, cur, row);
        for (size_t i = 0; i < row;) {
            const uint32_t limit = uint32_t(row - i);
            // A run to the left first: its distance code is 5 bits, the row
            // above's up to 18. The row above where the run is short.
            uint32_t best = i >= bpp ? match_length(cur + i, cur + i - bpp, limit) : 0;
            uint32_t dist_bits = left_bits;
            uint32_t kind = 0;
            if (best < kMaxMatch && up_ok && y > 0) {
                // One piece at a time: a run to the left may start after it.
                const uint32_t a = match_length(cur + i, above + i, std::min(limit, kMaxMatch));
                if (a > best) {
                    best = a;
                    dist_bits = up_bits;
                    kind = kUp;
                }
            }
            if (best < kMinMatch) {
                tokens.push_back(cur[i]);
                estimate += fixed_length(cur[i]);
                ++i;
                continue;
            }
            i += best;
            while (best) { // in pieces of at most 258, none shorter than 3
                uint32_t m = std::min(best, kMaxMatch);
                if (best > kMaxMatch && best - kMaxMatch < kMinMatch)
                    m = best - kMinMatch;
                tokens.push_back(kMatch | kind | m);
                const uint32_t ls = kLengthSymbol[m];
                estimate += fixed_length(257 + ls) + kLengthExtra[ls] + dist_bits;
                best -= m;
            }
        }
    }
    BitWriter bw(z);
    if (done == n)
        write_dynamic_block(bw, tokens, bpp, up_ok ? uint32_t(row) : 0);
    bw.flush();
    if (done < n || z.size() - 2 > stored) {
        std::vector<uint8_t> raw(n + kRoom); // rows in order: each overwrites the last one's room
        for (uint32_t y = 0; y < height; ++y)
            fill_row(y, raw.data() + size_t(y) * row);
        z.resize(2);
        for (size_t at = 0; at < n; at += 65535) {
            const uint16_t len = uint16_t(std::min<size_t>(n - at, 65535));
            const uint8_t head[5] = {uint8_t(at + len >= n ? 1 : 0), // BFINAL, BTYPE 00
                                     uint8_t(len), uint8_t(len >> 8), uint8_t(~len),
                                     uint8_t(~len >> 8)};
            z.insert(z.end(), head, head + 5);
            z.insert(z.end(), raw.begin() + at, raw.begin() + at + len);
        }
        adler = adler32(1, raw.data(), n);
    }
    put32be(z, adler);

    png.clear();
    png.reserve(z.size() + 128);
    static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    png.insert(png.end(), kSignature, kSignature + 8);
    uint8_t ihdr[13] = {uint8_t(width >> 24),  uint8_t(width >> 16),  uint8_t(width >> 8),
                        uint8_t(width),        uint8_t(height >> 24), uint8_t(height >> 16),
                        uint8_t(height >> 8),  uint8_t(height),       8,
                        uint8_t(has_alpha ? 6 : 2), 0, 0, 0};
    chunk(png, "IHDR", ihdr, sizeof ihdr);
    for (size_t at = 0; at < z.size(); at += 1u << 30) // a chunk is < 2^31 bytes
        chunk(png, "IDAT", z.data() + at, std::min<size_t>(z.size() - at, 1u << 30));
    chunk(png, "IEND", nullptr, 0);
    return true;
}

} // namespace vdmabuf::png_detail
