// vdmabuf_id as an ordered map key: imports are cached by buffer ID, never by
// fd number (fd numbers get reused).
#pragma once

#include <vdmabuf_consumer.h>

#include <cstdint>
#include <tuple>

namespace vdmabuf::viewer {

struct BufferKey {
    uint32_t guest = 0, counter = 0;
    uint64_t key = 0;
    BufferKey() = default;
    explicit BufferKey(const vdmabuf_id& id) : guest(id.guest), counter(id.counter), key(id.key) {}
    friend bool operator<(const BufferKey& a, const BufferKey& b) {
        return std::tie(a.guest, a.counter, a.key) < std::tie(b.guest, b.counter, b.key);
    }
    friend bool operator==(const BufferKey& a, const BufferKey& b) = default;
};

} // namespace vdmabuf::viewer
