// The control queue (queue 1) of the virtio-user driver: a DriverQueue plus the
// request/response slots in guest memory. Each request is copied into a free slot and
// sent as one chain: the request (readable; omitted if empty), then the slot's 64-byte
// response area (writable). Small slots carry everything but EXPORTs with many
// extents, which take one of the few large slots. The slot index is the chain's token,
// so completions are matched through private bookkeeping, not device data.
#pragma once

#include "memory_layout.hpp"
#include "wire_parse.hpp"

#include <vdmabuf/virtio/driver_queue.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace vdmabuf::frontend {

struct SlotArea {
    uint8_t* ptr = nullptr;
    uint64_t gpa = 0;
    uint32_t count = 0;
    uint32_t slot_size = 0; // request capacity = slot_size - kSlotResponseSize
};

struct CtrlRequest {
    std::span<const uint8_t> head; // copied first
    std::span<const uint8_t> tail; // then this (EXPORT's extents)
    uint32_t type = 0;
    uint64_t tag = 0;
    uint32_t counter = 0; // ID counter named by EXPORT / UNEXPORT
    bool raw = false;     // don't expect the tag and type to be echoed
};

struct CtrlCompletion {
    uint32_t type = 0;
    uint64_t tag = 0;
    uint32_t counter = 0;
    bool raw = false;
    ParsedResponse response;
    uint32_t len = 0;                            // used length (clamped to the area)
    uint8_t bytes[kSlotResponseSize] = {};       // copy of the response, zero-padded
};

class CtrlQueue {
public:
    [[nodiscard]] bool init(uint8_t* ring, uint64_t ring_gpa, uint32_t num, bool event_idx,
                            SlotArea small, SlotArea large);

    // Copies and publishes the request. False with errno EAGAIN (no slot or
    // descriptors free) or EMSGSIZE (larger than a large slot).
    [[nodiscard]] bool submit(const CtrlRequest& request);
    // One completed request, its slot freed. False when none are pending.
    [[nodiscard]] bool reap(CtrlCompletion& out);

    [[nodiscard]] bool kick_needed() { return q_.kick_needed(); }
    bool enable_interrupts() { return q_.enable_interrupts(); }
    [[nodiscard]] const virtio::DriverQueue& ring() const { return q_; }
    [[nodiscard]] uint32_t in_flight() const { return q_.in_flight(); }

private:
    struct Slot {
        uint8_t* ptr = nullptr;
        uint64_t gpa = 0;
        uint32_t capacity = 0;
        bool large = false;
        bool busy = false;
        uint32_t type = 0;
        uint64_t tag = 0;
        uint32_t counter = 0;
        bool raw = false;
    };
    void add_slots(const SlotArea& area, bool large);

    virtio::DriverQueue q_;
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_small_; // stacks of slot indices; capacity = slot count
    std::vector<uint32_t> free_large_;
};

} // namespace vdmabuf::frontend
