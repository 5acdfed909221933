#include "memory_layout.hpp"

#include <vdmabuf/virtio/driver_queue.hpp>

#include <algorithm>

namespace vdmabuf::frontend {
namespace {
constexpr uint64_t page_up(uint64_t v) { return (v + kPageSize - 1) / kPageSize * kPageSize; }
} // namespace

std::optional<MemoryLayout> MemoryLayout::compute(uint64_t memory_size, uint32_t queue_size) {
    const uint64_t ring = virtio::DriverQueue::layout_size(queue_size, true);
    if (ring == 0 || queue_size < 2 || memory_size % kPageSize)
        return std::nullopt;
    MemoryLayout l;
    l.memory_size = memory_size;
    l.queue_size = queue_size;
    l.eventq_offset = 0;
    l.ctrlq_offset = ring;
    // A ctrlq chain takes two descriptors, so at most queue_size / 2 are in flight.
    l.small_slots = queue_size / 2;
    l.large_slots = std::min(kMaxLargeSlots, queue_size / 2);
    l.small_slots_offset = 2 * ring;
    l.large_slots_offset = page_up(l.small_slots_offset + uint64_t{kSmallSlotSize} * l.small_slots);
    l.event_buffers = queue_size;
    l.event_buffers_offset = l.large_slots_offset + uint64_t{kLargeSlotSize} * l.large_slots;
    l.pool_offset = page_up(l.event_buffers_offset + uint64_t{kEventBufferSize} * l.event_buffers);
    if (l.pool_offset + kPageSize > memory_size)
        return std::nullopt;
    l.pool_pages = (memory_size - l.pool_offset) / kPageSize;
    return l;
}

} // namespace vdmabuf::frontend
