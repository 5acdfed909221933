// One descriptor chain popped by DeviceQueue: the head index plus the translated host
// segments, readable (driver -> device) first, then writable (device -> driver).
// Payload is copied out with read() and parsed from the copy, never in place.
// Reuse one Chain across pops: its vectors keep their capacity, so the steady state
// does not allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vdmabuf::virtio {

struct IoSegment {
    uint8_t* ptr; // host pointer into guest memory
    uint32_t len;
};

class Chain {
public:
    Chain();

    [[nodiscard]] uint16_t head() const { return head_; }
    [[nodiscard]] std::span<const IoSegment> readable() const { return readable_; }
    [[nodiscard]] std::span<const IoSegment> writable() const { return writable_; }
    [[nodiscard]] size_t readable_len() const { return readable_len_; }
    [[nodiscard]] size_t writable_len() const { return writable_len_; }
    // Bytes appended by write() so far (the used-ring len on push).
    [[nodiscard]] size_t written() const { return written_; }

    // Copies up to len readable bytes starting at offset; returns bytes copied.
    size_t read(size_t offset, void* dst, size_t len) const;
    // Appends into the writable segments after what was written; returns bytes copied
    // (short when the writable space runs out).
    size_t write(const void* src, size_t len);

    void reset(uint16_t head = 0);

private:
    friend class DeviceQueue;
    void add_readable(uint8_t* ptr, uint32_t len);
    void add_writable(uint8_t* ptr, uint32_t len);

    uint16_t head_ = 0;
    std::vector<IoSegment> readable_;
    std::vector<IoSegment> writable_;
    size_t readable_len_ = 0;
    size_t writable_len_ = 0;
    size_t written_ = 0;
};

} // namespace vdmabuf::virtio
