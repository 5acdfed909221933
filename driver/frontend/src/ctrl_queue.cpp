#define VDM_LOG_SCOPE "guest-ctrlq"
#include "ctrl_queue.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstring>

namespace vdmabuf::frontend {

void CtrlQueue::add_slots(const SlotArea& area, bool large) {
    auto& stack = large ? free_large_ : free_small_;
    for (uint32_t i = area.count; i-- > 0;) {
        const uint64_t off = uint64_t{area.slot_size} * i;
        stack.push_back(static_cast<uint32_t>(slots_.size()));
        slots_.push_back({area.ptr + off, area.gpa + off, area.slot_size - kSlotResponseSize, large});
    }
}

bool CtrlQueue::init(uint8_t* ring, uint64_t ring_gpa, uint32_t num, bool event_idx,
                     SlotArea small, SlotArea large) {
    if (!q_.init(ring, ring_gpa, num, event_idx))
        return false;
    slots_.clear();
    free_small_.clear();
    free_large_.clear();
    slots_.reserve(small.count + large.count);
    free_small_.reserve(small.count);
    free_large_.reserve(large.count);
    add_slots(small, false);
    add_slots(large, true);
    return true;
}

bool CtrlQueue::submit(const CtrlRequest& request) {
    const size_t len = request.head.size() + request.tail.size();
    const bool large = len > kSmallSlotSize - kSlotResponseSize;
    if (len > kLargeSlotSize - kSlotResponseSize) {
        errno = EMSGSIZE;
        return false;
    }
    auto& stack = large ? free_large_ : free_small_;
    if (stack.empty()) {
        errno = EAGAIN;
        return false;
    }
    const uint32_t index = stack.back();
    Slot& s = slots_[index];
    // memcpy from an empty span's null data() is undefined (UBSan), even for 0 bytes.
    if (!request.head.empty())
        std::memcpy(s.ptr, request.head.data(), request.head.size());
    if (!request.tail.empty())
        std::memcpy(s.ptr + request.head.size(), request.tail.data(), request.tail.size());
    std::memset(s.ptr + s.capacity, 0, kSlotResponseSize);

    virtio::Segment segs[2];
    size_t n = 0;
    if (len)
        segs[n++] = {s.gpa, static_cast<uint32_t>(len), false};
    segs[n++] = {s.gpa + s.capacity, kSlotResponseSize, true};
    if (!q_.add(std::span<const virtio::Segment>(segs, n), index)) {
        errno = EAGAIN;
        return false;
    }
    q_.publish();
    stack.pop_back();
    s.busy = true;
    s.type = request.type;
    s.tag = request.tag;
    s.counter = request.counter;
    s.raw = request.raw;
    return true;
}

bool CtrlQueue::reap(CtrlCompletion& out) {
    uint32_t token = 0;
    uint32_t len = 0;
    for (;;) {
        if (!q_.get_used(token, len))
            return false;
        // DriverQueue only returns tokens we added; check anyway, it costs nothing.
        if (token < slots_.size() && slots_[token].busy)
            break;
        VDM_WARN("ctrlq: completion for idle slot %u ignored", token);
    }
    Slot& s = slots_[token];
    out.type = s.type;
    out.tag = s.tag;
    out.counter = s.counter;
    out.raw = s.raw;
    out.len = len < kSlotResponseSize ? len : kSlotResponseSize;
    std::memset(out.bytes, 0, sizeof out.bytes);
    std::memcpy(out.bytes, s.ptr + s.capacity, out.len);
    out.response = parse_response(out.bytes, out.len, s.type, s.tag, !s.raw);
    s.busy = false;
    (s.large ? free_large_ : free_small_).push_back(token);
    return true;
}

} // namespace vdmabuf::frontend
