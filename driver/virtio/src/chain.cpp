#include <vdmabuf/virtio/chain.hpp>

#include <algorithm>
#include <cstring>

namespace vdmabuf::virtio {
namespace {
constexpr size_t kInitialSegments = 64;
} // namespace

Chain::Chain() {
    readable_.reserve(kInitialSegments);
    writable_.reserve(kInitialSegments);
}

void Chain::reset(uint16_t head) {
    head_ = head;
    readable_.clear();
    writable_.clear();
    readable_len_ = 0;
    writable_len_ = 0;
    written_ = 0;
}

void Chain::add_readable(uint8_t* ptr, uint32_t len) {
    readable_.push_back({ptr, len});
    readable_len_ += len;
}

void Chain::add_writable(uint8_t* ptr, uint32_t len) {
    writable_.push_back({ptr, len});
    writable_len_ += len;
}

size_t Chain::read(size_t offset, void* dst, size_t len) const {
    auto* out = static_cast<uint8_t*>(dst);
    size_t copied = 0;
    for (const IoSegment& seg : readable_) {
        if (copied == len)
            break;
        if (offset >= seg.len) {
            offset -= seg.len;
            continue;
        }
        size_t n = std::min<size_t>(seg.len - offset, len - copied);
        std::memcpy(out + copied, seg.ptr + offset, n);
        copied += n;
        offset = 0;
    }
    return copied;
}

size_t Chain::write(const void* src, size_t len) {
    const auto* in = static_cast<const uint8_t*>(src);
    size_t skip = written_;
    size_t copied = 0;
    for (const IoSegment& seg : writable_) {
        if (copied == len)
            break;
        if (skip >= seg.len) {
            skip -= seg.len;
            continue;
        }
        size_t n = std::min<size_t>(seg.len - skip, len - copied);
        std::memcpy(seg.ptr + skip, in + copied, n);
        copied += n;
        skip = 0;
    }
    written_ += copied;
    return copied;
}

} // namespace vdmabuf::virtio
