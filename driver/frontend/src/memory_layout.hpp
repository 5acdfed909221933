// Where everything lives in the virtio-user guest memory (one memfd at guest-physical
// kGuestBase). In order, each part page aligned:
//   eventq rings | ctrlq rings | small request slots | large request slots |
//   eventq buffers | buffer pages (the page allocator's range, to the end)
// A request slot holds the request (readable) then its 64-byte response (writable).
#pragma once

#include <cstdint>
#include <optional>

namespace vdmabuf::frontend {

inline constexpr uint64_t kGuestBase = 0x1'0000'0000ull; // spec §10
inline constexpr uint64_t kPageSize = 4096;

// HELLO, PRESENT (312), UNEXPORT, EXPORT without extents fit a small slot.
inline constexpr uint32_t kSmallSlotSize = 512;
// EXPORT with every extent (VDMABUF_MAX_REQUEST_SIZE = 65640) fits a large slot.
inline constexpr uint32_t kLargeSlotSize = 17 * 4096;
inline constexpr uint32_t kSlotResponseSize = 64; // VDMABUF_RESP_SIZE, at the slot's end
inline constexpr uint32_t kMaxLargeSlots = 4;
inline constexpr uint32_t kEventBufferSize = 64; // VDMABUF_EVENT_SIZE

struct MemoryLayout {
    uint64_t memory_size = 0;
    uint32_t queue_size = 0;
    uint64_t eventq_offset = 0; // DriverQueue::layout_size(queue_size, event_idx) each
    uint64_t ctrlq_offset = 0;
    uint64_t small_slots_offset = 0;
    uint32_t small_slots = 0;
    uint64_t large_slots_offset = 0;
    uint32_t large_slots = 0;
    uint64_t event_buffers_offset = 0;
    uint32_t event_buffers = 0;
    uint64_t pool_offset = 0; // first buffer page
    uint64_t pool_pages = 0;

    // Empty when the queue size is invalid or the memory cannot hold the
    // fixed parts plus one buffer page. Rings are sized for EVENT_IDX (the larger case).
    [[nodiscard]] static std::optional<MemoryLayout> compute(uint64_t memory_size,
                                                             uint32_t queue_size);
};

} // namespace vdmabuf::frontend
