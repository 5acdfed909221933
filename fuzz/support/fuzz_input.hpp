// Reads a fuzz input front to back as little-endian fields. Past the end every
// read yields zeros, so a short input is still a complete (if dull) program;
// the seed generator (fuzz/make-corpus.py) writes the same layout.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace vdmabuf::fuzz {

class FuzzInput {
public:
    FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    [[nodiscard]] bool empty() const { return pos_ >= size_; }
    [[nodiscard]] size_t remaining() const { return size_ - pos_; }

    template <typename T> T take() {
        T v{};
        const size_t n = std::min(sizeof v, remaining());
        if (n)
            std::memcpy(&v, data_ + pos_, n);
        pos_ += n;
        return v;
    }
    uint8_t u8() { return take<uint8_t>(); }
    uint16_t u16() { return take<uint16_t>(); }
    uint32_t u32() { return take<uint32_t>(); }
    uint64_t u64() { return take<uint64_t>(); }

    // Up to n bytes (fewer at the end of the input), borrowed from the input.
    std::span<const uint8_t> bytes(size_t n) {
        n = std::min(n, remaining());
        std::span<const uint8_t> out{data_ + pos_, n};
        pos_ += n;
        return out;
    }
    // A record: u16 length, then that many bytes.
    std::span<const uint8_t> record() { return bytes(u16()); }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

// Logging off unless VDMABUF_LOG asks for it: formatting every rejected input
// would dominate the run. Call from LLVMFuzzerInitialize.
void quiet_logs();

} // namespace vdmabuf::fuzz
