// Device events waiting for eventq buffers, oldest first. Fixed capacity chosen at
// construction; push/pop never allocate. GuestSession keeps two: RELEASE/REFRESH
// (bounded by max_buffers plus a few REFRESHes) and the interactive events
// consumers ask for (bounded; MOTION coalescing edits its newest entries).
#pragma once

#include "vdmabuf_wire.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace vdmabuf::backend {

class EventFifo {
public:
    struct Event {
        std::array<uint8_t, VDMABUF_EVENT_SIZE> bytes{}; // the largest event
        uint32_t len = 0;
    };

    explicit EventFifo(size_t capacity) : slots_(capacity) {}

    [[nodiscard]] bool empty() const { return count_ == 0; }
    [[nodiscard]] size_t size() const { return count_; }
    [[nodiscard]] size_t capacity() const { return slots_.size(); }

    // False when full or the event is larger than a slot.
    [[nodiscard]] bool push(const void* event, size_t len) {
        if (count_ == slots_.size() || len > sizeof(Event::bytes))
            return false;
        Event& e = slots_[(head_ + count_) % slots_.size()];
        std::memcpy(e.bytes.data(), event, len);
        e.len = static_cast<uint32_t>(len);
        ++count_;
        return true;
    }
    [[nodiscard]] const Event& front() const { return slots_[head_]; }
    // The i-th oldest (i < size()); writable for in-place coalescing.
    [[nodiscard]] Event& at(size_t i) { return slots_[(head_ + i) % slots_.size()]; }
    void pop_back() {
        if (count_ > 0)
            --count_;
    }
    void pop() {
        if (count_ == 0)
            return;
        head_ = (head_ + 1) % slots_.size();
        --count_;
    }
    void clear() { head_ = count_ = 0; }

    // Whether an identical event is already waiting (REFRESH coalescing).
    [[nodiscard]] bool contains(const void* event, size_t len) const {
        for (size_t i = 0; i < count_; ++i) {
            const Event& e = slots_[(head_ + i) % slots_.size()];
            if (e.len == len && std::memcmp(e.bytes.data(), event, len) == 0)
                return true;
        }
        return false;
    }

private:
    std::vector<Event> slots_;
    size_t head_ = 0;
    size_t count_ = 0;
};

} // namespace vdmabuf::backend
