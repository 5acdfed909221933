// The event queue (queue 0) of the virtio-user driver: a DriverQueue with one 64-byte
// device-writable buffer per descriptor, all posted at start. reap() copies an event
// out of its buffer and re-adds the buffer at once, so the device never runs short.
#pragma once

#include "memory_layout.hpp"

#include <vdmabuf/virtio/driver_queue.hpp>

#include <cstdint>

namespace vdmabuf::frontend {

class EventQueue {
public:
    // Posts `count` (<= num) buffers of kEventBufferSize bytes at bufs/bufs_gpa and
    // publishes them.
    [[nodiscard]] bool init(uint8_t* ring, uint64_t ring_gpa, uint32_t num, bool event_idx,
                            uint8_t* bufs, uint64_t bufs_gpa, uint32_t count);

    // Copies one used buffer (zero-padded; len = used length, clamped) and re-adds it
    // (call publish() after a batch). False when none are pending.
    [[nodiscard]] bool reap(uint8_t (&event)[kEventBufferSize], uint32_t& len);
    void publish() { q_.publish(); }
    [[nodiscard]] bool kick_needed() { return q_.kick_needed(); }
    bool enable_interrupts() { return q_.enable_interrupts(); }
    [[nodiscard]] const virtio::DriverQueue& ring() const { return q_; }
    [[nodiscard]] uint32_t posted() const { return q_.in_flight(); }

private:
    [[nodiscard]] bool post(uint32_t index);

    virtio::DriverQueue q_;
    uint8_t* bufs_ = nullptr;
    uint64_t bufs_gpa_ = 0;
    uint32_t count_ = 0;
};

} // namespace vdmabuf::frontend
