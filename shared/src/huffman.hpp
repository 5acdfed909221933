// Huffman code lengths and canonical codes for the fast PNG encoder's dynamic
// deflate block (RFC 1951 3.2.2 and 3.2.7).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vdmabuf::png_detail {

// Code lengths of at most `limit` bits for symbols of these frequencies (0:
// unused, length 0). A single used symbol gets length 1. Where the optimal
// code is deeper than `limit`, the frequencies are halved until it is not.
void huffman_lengths(const uint32_t* freq, size_t n, unsigned limit, uint8_t* lengths);

// The canonical code of each symbol with a non-zero length (at most 15),
// bit-reversed for an LSB-first bit writer.
void canonical_codes(const uint8_t* lengths, size_t n, uint16_t* codes);

} // namespace vdmabuf::png_detail
