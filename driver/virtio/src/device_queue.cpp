#define VDM_LOG_SCOPE "virtio"
#include <vdmabuf/virtio/device_queue.hpp>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/virtio/split_ring.hpp>

#include <cinttypes>

namespace vdmabuf::virtio {
namespace {

bool aligned(const void* p, size_t align) {
    return reinterpret_cast<uintptr_t>(p) % align == 0;
}

} // namespace

const char* pop_result_name(PopResult result) {
    switch (result) {
    case PopResult::empty:
        return "empty";
    case PopResult::ok:
        return "ok";
    case PopResult::bad_chain:
        return "bad_chain";
    case PopResult::broken_queue:
        return "broken_queue";
    }
    return "?";
}

DeviceQueue::DeviceQueue(DeviceQueueLimits limits) : limits_(limits) {}

bool DeviceQueue::configure(GuestMemory& mem, uint32_t num, uint64_t desc_uva, uint64_t avail_uva,
                            uint64_t used_uva, bool event_idx, bool indirect_desc) {
    const uint16_t base = last_avail_;
    const bool was_enabled = enabled_;
    reset();
    last_avail_ = base;
    enabled_ = was_enabled;
    if (!is_valid_queue_size(num)) {
        VDM_WARN("vring: invalid queue size %u", num);
        return false;
    }
    mem_ = &mem;
    num_ = num;
    event_idx_ = event_idx;
    indirect_ = indirect_desc;
    desc_uva_ = desc_uva;
    avail_uva_ = avail_uva;
    used_uva_ = used_uva;
    if (!remap()) {
        reset();
        last_avail_ = base;
        enabled_ = was_enabled;
        return false;
    }
    used_idx_ = ring::load16(used_ + kUsedIdxOffset);
    signalled_used_ = used_idx_;
    return true;
}

bool DeviceQueue::remap() {
    desc_ = avail_ = used_ = nullptr;
    if (!mem_ || num_ == 0)
        return false;
    uint8_t* desc = mem_->uva_to_ptr(desc_uva_, desc_table_size(num_));
    uint8_t* avail = mem_->uva_to_ptr(avail_uva_, avail_size(num_, event_idx_));
    uint8_t* used = mem_->uva_to_ptr(used_uva_, used_size(num_, event_idx_));
    if (!desc || !avail || !used) {
        VDM_WARN("vring: addresses desc 0x%" PRIx64 " avail 0x%" PRIx64 " used 0x%" PRIx64
                 " (num %u) not inside guest memory",
                 desc_uva_, avail_uva_, used_uva_, num_);
        return false;
    }
    if (!aligned(desc, kDescAlign) || !aligned(avail, kAvailAlign) || !aligned(used, kUsedAlign)) {
        VDM_WARN("vring: misaligned rings desc 0x%" PRIx64 " avail 0x%" PRIx64 " used 0x%" PRIx64,
                 desc_uva_, avail_uva_, used_uva_);
        return false;
    }
    desc_ = desc;
    avail_ = avail;
    used_ = used;
    return true;
}

void DeviceQueue::reset() {
    mem_ = nullptr;
    desc_ = avail_ = used_ = nullptr;
    desc_uva_ = avail_uva_ = used_uva_ = 0;
    num_ = 0;
    event_idx_ = indirect_ = enabled_ = broken_ = false;
    last_avail_ = used_idx_ = signalled_used_ = 0;
    logged_bad_chain_ = false;
}

PopResult DeviceQueue::broken(const char* why, uint32_t value) {
    if (!broken_)
        VDM_WARN("vring: %s (%u); queue stopped until reconfigured", why, value);
    broken_ = true;
    ++errors_;
    return PopResult::broken_queue;
}

bool DeviceQueue::bad(const char* why, uint16_t head) {
    if (!logged_bad_chain_)
        VDM_WARN("vring: bad chain at head %u: %s (further ones logged at debug)", head, why);
    else
        VDM_DEBUG("vring: bad chain at head %u: %s", head, why);
    logged_bad_chain_ = true;
    return false;
}

bool DeviceQueue::has_available() const {
    return ready() && ring::load_acquire(avail_ + kAvailIdxOffset) != last_avail_;
}

PopResult DeviceQueue::pop(Chain& out) {
    if (broken_)
        return PopResult::broken_queue;
    if (!configured() || !enabled_)
        return PopResult::empty;

    uint16_t avail_idx = ring::load_acquire(avail_ + kAvailIdxOffset);
    uint16_t pending = static_cast<uint16_t>(avail_idx - last_avail_);
    if (pending == 0)
        return PopResult::empty;
    if (pending > num_)
        return broken("avail idx ran more than queue size ahead", avail_idx);

    size_t slot = last_avail_ & (num_ - 1);
    uint16_t head = ring::load16(avail_ + kAvailRingOffset + 2 * slot);
    if (head >= num_)
        return broken("avail ring head out of range", head);
    ++last_avail_;

    if (!walk(head, out)) {
        ++errors_;
        out.reset(head);
        return PopResult::bad_chain;
    }
    return PopResult::ok;
}

bool DeviceQueue::walk(uint16_t head, Chain& out) {
    out.reset(head);
    const uint8_t* table = desc_;
    uint32_t table_size = num_;
    uint32_t max_count = num_;
    uint32_t count = 0;
    uint16_t idx = head;
    bool in_indirect = false;
    bool seen_writable = false;

    for (;;) {
        if (idx >= table_size)
            return bad("next index out of range", head);
        if (++count > max_count)
            return bad("chain loops or is longer than its table", head);
        VringDesc d = ring::load_desc(table + size_t{16} * idx);

        if (d.flags & kDescFIndirect) {
            if (!indirect_)
                return bad("indirect descriptor without INDIRECT_DESC", head);
            if (in_indirect)
                return bad("nested indirect table", head);
            if (d.flags & kDescFNext)
                return bad("indirect descriptor with NEXT", head);
            if (d.len == 0 || d.len % sizeof(VringDesc) != 0 ||
                d.len / sizeof(VringDesc) > limits_.max_indirect)
                return bad("indirect table length invalid", head);
            const uint8_t* t = mem_->gpa_to_ptr(d.addr, d.len);
            if (!t)
                return bad("indirect table outside guest memory", head);
            table = t;
            table_size = d.len / sizeof(VringDesc);
            max_count = table_size;
            count = 0;
            idx = 0;
            in_indirect = true;
            continue;
        }

        if (d.flags & kDescFWrite) {
            seen_writable = true;
            if (d.len > limits_.max_writable - out.writable_len())
                return bad("writable bytes exceed limit", head);
        } else {
            if (seen_writable)
                return bad("readable descriptor after writable one", head);
            if (d.len > limits_.max_readable - out.readable_len())
                return bad("readable bytes exceed limit", head);
        }
        if (d.len > 0) {
            uint8_t* p = mem_->gpa_to_ptr(d.addr, d.len);
            if (!p)
                return bad("buffer outside guest memory", head);
            if (d.flags & kDescFWrite)
                out.add_writable(p, d.len);
            else
                out.add_readable(p, d.len);
        }
        if (!(d.flags & kDescFNext))
            return true;
        idx = d.next;
    }
}

void DeviceQueue::push(const Chain& chain) {
    size_t written = chain.written();
    push(chain.head(), written > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(written));
}

void DeviceQueue::push(uint16_t head, uint32_t written) {
    if (!configured())
        return;
    if (head >= num_) {
        VDM_ERROR("vring: push of head %u >= queue size %u ignored", head, num_);
        return;
    }
    uint8_t* elem = used_ + kUsedRingOffset + sizeof(VringUsedElem) * (used_idx_ & (num_ - 1));
    ring::store32(elem, head);
    ring::store32(elem + 4, written);
    ++used_idx_;
    ring::store_release(used_ + kUsedIdxOffset, used_idx_);
}

bool DeviceQueue::should_notify() {
    if (!configured())
        return false;
    ring::full_fence(); // used->idx store before the used_event / flags load
    uint16_t old = signalled_used_;
    signalled_used_ = used_idx_;
    if (event_idx_) {
        uint16_t event = ring::load16(avail_ + used_event_offset(num_));
        return vring_need_event(event, used_idx_, old);
    }
    if (used_idx_ == old)
        return false;
    return !(ring::load16(avail_ + kAvailFlagsOffset) & kAvailFNoInterrupt);
}

void DeviceQueue::set_avail_event() {
    if (!configured())
        return;
    if (event_idx_)
        ring::store16(used_ + avail_event_offset(num_), last_avail_);
    else
        ring::store16(used_ + kUsedFlagsOffset, 0);
}

void DeviceQueue::disable_notifications() {
    if (configured() && !event_idx_)
        ring::store16(used_ + kUsedFlagsOffset, kUsedFNoNotify);
}

bool DeviceQueue::enable_notifications() {
    // A disabled ring pops nothing: "more work" would make the caller's
    // pop-until-empty loop spin (a ring posted to before SET_VRING_ENABLE).
    if (!configured() || !enabled_)
        return false;
    set_avail_event();
    ring::full_fence();
    return ring::load16(avail_ + kAvailIdxOffset) != last_avail_;
}

} // namespace vdmabuf::virtio
