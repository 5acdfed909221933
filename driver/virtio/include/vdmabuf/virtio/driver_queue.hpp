// Driver side of one split virtqueue, for the virtio-user front-end that plays the
// guest driver: lays the rings out in memory the caller owns (inside the guest-memory
// memfd), adds buffer chains by guest-physical address, publishes them, and reaps used
// entries. The device is not trusted either: used ids and lengths are validated and
// the free list lives in private memory, never in the shared descriptor table.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vdmabuf::virtio {

struct Segment {
    uint64_t gpa;
    uint32_t len;
    bool writable; // device-writable; all readable segments must come first
};

class DriverQueue {
public:
    DriverQueue() = default;
    DriverQueue(const DriverQueue&) = delete;
    DriverQueue& operator=(const DriverQueue&) = delete;

    // Bytes needed at `base` for init(): desc table, avail ring, used ring (64-aligned),
    // rounded up to 4096. 0 for an invalid num.
    [[nodiscard]] static size_t layout_size(uint32_t num, bool event_idx);

    // base must be 16-byte aligned and hold layout_size() bytes mapped at guest-physical
    // base_gpa. Zeroes the rings and allocates the private bookkeeping (the only
    // allocation). False (logged) on invalid arguments.
    [[nodiscard]] bool init(uint8_t* base, uint64_t base_gpa, uint32_t num, bool event_idx);

    // Host pointers (the front-end's user virtual addresses for SET_VRING_ADDR) and gpas.
    [[nodiscard]] uint8_t* desc_addr() const { return desc_; }
    [[nodiscard]] uint8_t* avail_addr() const { return avail_; }
    [[nodiscard]] uint8_t* used_addr() const { return used_; }
    [[nodiscard]] uint64_t desc_gpa() const { return base_gpa_; }
    [[nodiscard]] uint64_t avail_gpa() const {
        return base_gpa_ + static_cast<uint64_t>(avail_ - desc_);
    }
    [[nodiscard]] uint64_t used_gpa() const {
        return base_gpa_ + static_cast<uint64_t>(used_ - desc_);
    }

    // Queues one chain (readable segments first). Not visible to the device until
    // publish(). False when not enough descriptors are free or the segments are invalid.
    [[nodiscard]] bool add(std::span<const Segment> segs, uint32_t token);
    // Release-stores avail->idx.
    void publish();
    // After publish(): must the device be kicked? EVENT_IDX: vring_need_event(
    // avail_event, published idx, idx at the last kick_needed()); else !(used->flags &
    // NO_NOTIFY). False when nothing was published since the last call.
    [[nodiscard]] bool kick_needed();
    // Reaps one used entry: token given to add() and bytes the device wrote (clamped to
    // the chain's writable size). Invalid entries from the device are skipped and
    // counted. False when none are pending.
    [[nodiscard]] bool get_used(uint32_t& token, uint32_t& len);

    // Ask for a call on the next used entry (EVENT_IDX: used_event = last used; else
    // clear NO_INTERRUPT). Returns true if entries are already pending (reap again).
    bool enable_interrupts();
    // Ask for no calls (non-EVENT_IDX: avail->flags NO_INTERRUPT; EVENT_IDX: no-op, the
    // stale used_event suppresses them).
    void disable_interrupts();

    [[nodiscard]] uint32_t num() const { return num_; }
    [[nodiscard]] uint32_t free_count() const { return free_top_; }
    [[nodiscard]] uint32_t in_flight() const { return in_flight_; }
    [[nodiscard]] bool broken() const { return broken_; }
    // Invalid used entries seen (bad id, not in flight, len too large, idx jump).
    [[nodiscard]] uint64_t error_count() const { return errors_; }

private:
    void device_error(const char* why, uint32_t value);

    uint8_t* desc_ = nullptr;
    uint8_t* avail_ = nullptr;
    uint8_t* used_ = nullptr;
    uint64_t base_gpa_ = 0;
    uint32_t num_ = 0;
    bool event_idx_ = false;
    bool broken_ = false;
    bool logged_device_error_ = false;

    uint16_t avail_shadow_ = 0; // next avail idx (includes unpublished adds)
    uint16_t published_ = 0;    // last value stored to avail->idx
    uint16_t kicked_ = 0;       // published idx at the last kick_needed()
    uint16_t last_used_ = 0;
    uint32_t in_flight_ = 0;
    uint64_t errors_ = 0;

    // Private bookkeeping, indexed by descriptor.
    std::vector<uint16_t> free_stack_;
    uint32_t free_top_ = 0;
    std::vector<uint16_t> next_;      // chain links as we wrote them
    std::vector<uint16_t> chain_len_; // per head: descriptors in the chain
    std::vector<uint32_t> token_;     // per head
    std::vector<uint64_t> writable_;  // per head: writable capacity
    std::vector<uint8_t> head_busy_;  // per head: in flight
};

} // namespace vdmabuf::virtio
