// Buffer IDs (spec §5.2): {guest, counter, key} with guest and key from HELLO and a
// counter that is non-zero and unique among this session's live buffers. Counters
// grow monotonically (wrapping past zero), so a retired counter is reused only after
// 2^32 exports, which keeps late responses about old IDs unambiguous.
#pragma once

#include "vdmabuf_wire.h"

#include <cstdint>
#include <unordered_set>

namespace vdmabuf::frontend {

class IdAllocator {
public:
    void reset(uint32_t guest, uint64_t key);
    // A fresh ID, now live. False only when every counter is live.
    [[nodiscard]] bool next(vdmabuf_id& out);
    // Forget a counter (EXPORT failed, or UNEXPORT succeeded). No-op if not live.
    void release(uint32_t counter);
    [[nodiscard]] bool live(uint32_t counter) const { return live_.count(counter) != 0; }
    [[nodiscard]] size_t live_count() const { return live_.size(); }
    // Is this one of our session's IDs (guest and key match, counter non-zero)?
    [[nodiscard]] bool ours(const vdmabuf_id& id) const {
        return id.guest == guest_ && id.key == key_ && id.counter != 0;
    }

    // Test hook: the next counter tried is `counter + 1`.
    void set_last_counter(uint32_t counter) { last_ = counter; }

private:
    uint32_t guest_ = 0;
    uint64_t key_ = 0;
    uint32_t last_ = 0;
    std::unordered_set<uint32_t> live_;
};

} // namespace vdmabuf::frontend
