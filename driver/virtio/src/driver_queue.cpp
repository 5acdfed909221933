#define VDM_LOG_SCOPE "virtio"
#include <vdmabuf/virtio/driver_queue.hpp>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/virtio/split_ring.hpp>

#include <cstring>

namespace vdmabuf::virtio {
namespace {

constexpr size_t kUsedRingAlign = 64; // keep the device-written ring on its own lines
constexpr size_t kPageSize = 4096;

constexpr size_t align_up(size_t v, size_t a) {
    return (v + a - 1) / a * a;
}
constexpr size_t avail_offset(uint32_t num) {
    return desc_table_size(num);
}
constexpr size_t used_offset(uint32_t num, bool event_idx) {
    return align_up(avail_offset(num) + avail_size(num, event_idx), kUsedRingAlign);
}

} // namespace

size_t DriverQueue::layout_size(uint32_t num, bool event_idx) {
    if (!is_valid_queue_size(num))
        return 0;
    return align_up(used_offset(num, event_idx) + used_size(num, event_idx), kPageSize);
}

bool DriverQueue::init(uint8_t* base, uint64_t base_gpa, uint32_t num, bool event_idx) {
    if (!base || !is_valid_queue_size(num) || reinterpret_cast<uintptr_t>(base) % kDescAlign ||
        base_gpa % kDescAlign) {
        VDM_ERROR("driver queue: invalid init (base %p, gpa 0x%llx, num %u)",
                  static_cast<void*>(base), static_cast<unsigned long long>(base_gpa), num);
        return false;
    }
    std::memset(base, 0, layout_size(num, event_idx));
    desc_ = base;
    avail_ = base + avail_offset(num);
    used_ = base + used_offset(num, event_idx);
    base_gpa_ = base_gpa;
    num_ = num;
    event_idx_ = event_idx;
    broken_ = false;
    logged_device_error_ = false;
    avail_shadow_ = published_ = kicked_ = last_used_ = 0;
    in_flight_ = 0;

    free_stack_.resize(num);
    // Hand out low indices first (stack top = index 0).
    for (uint32_t i = 0; i < num; ++i)
        free_stack_[i] = static_cast<uint16_t>(num - 1 - i);
    free_top_ = num;
    next_.assign(num, 0);
    chain_len_.assign(num, 0);
    token_.assign(num, 0);
    writable_.assign(num, 0);
    head_busy_.assign(num, 0);
    return true;
}

bool DriverQueue::add(std::span<const Segment> segs, uint32_t token) {
    if (!desc_ || segs.empty() || segs.size() > free_top_)
        return false;
    bool seen_writable = false;
    uint64_t writable = 0;
    for (const Segment& s : segs) {
        if (s.writable) {
            seen_writable = true;
            writable += s.len;
        } else if (seen_writable) {
            VDM_ERROR("driver queue: readable segment after a writable one");
            return false;
        }
    }

    const uint32_t n = static_cast<uint32_t>(segs.size());
    // Descriptors taken from the top of the free stack: idx(i) = stack[top - 1 - i].
    auto idx = [&](uint32_t i) { return free_stack_[free_top_ - 1 - i]; };
    const uint16_t head = idx(0);
    for (uint32_t i = 0; i < n; ++i) {
        const Segment& s = segs[i];
        const uint16_t d = idx(i);
        const bool more = i + 1 < n;
        const uint16_t nx = more ? idx(i + 1) : 0;
        VringDesc desc{
            s.gpa, s.len,
            static_cast<uint16_t>((s.writable ? kDescFWrite : 0) | (more ? kDescFNext : 0)), nx};
        ring::store_desc(desc_ + sizeof(VringDesc) * d, desc);
        next_[d] = nx;
    }
    free_top_ -= n;
    chain_len_[head] = static_cast<uint16_t>(n);
    token_[head] = token;
    writable_[head] = writable;
    head_busy_[head] = 1;
    ++in_flight_;

    ring::store16(avail_ + kAvailRingOffset + 2 * (avail_shadow_ & (num_ - 1)), head);
    ++avail_shadow_;
    return true;
}

void DriverQueue::publish() {
    if (!desc_)
        return;
    published_ = avail_shadow_;
    ring::store_release(avail_ + kAvailIdxOffset, published_);
}

bool DriverQueue::kick_needed() {
    if (!desc_)
        return false;
    ring::full_fence(); // avail->idx store before the avail_event / flags load
    const uint16_t old = kicked_;
    kicked_ = published_;
    if (published_ == old)
        return false;
    if (event_idx_)
        return vring_need_event(ring::load16(used_ + avail_event_offset(num_)), published_, old);
    return !(ring::load16(used_ + kUsedFlagsOffset) & kUsedFNoNotify);
}

void DriverQueue::device_error(const char* why, uint32_t value) {
    ++errors_;
    if (!logged_device_error_)
        VDM_WARN("driver queue: device error: %s (%u)", why, value);
    logged_device_error_ = true;
}

bool DriverQueue::get_used(uint32_t& token, uint32_t& len) {
    if (!desc_ || broken_)
        return false;
    for (;;) {
        const uint16_t used_idx = ring::load_acquire(used_ + kUsedIdxOffset);
        if (used_idx == last_used_)
            return false;
        if (static_cast<uint16_t>(used_idx - last_used_) > num_) {
            device_error("used idx ran more than queue size ahead", used_idx);
            broken_ = true;
            return false;
        }
        const uint8_t* elem =
            used_ + kUsedRingOffset + sizeof(VringUsedElem) * (last_used_ & (num_ - 1));
        const uint32_t id = ring::load32(elem);
        uint32_t written = ring::load32(elem + 4);
        ++last_used_;
        if (id >= num_ || !head_busy_[id]) {
            device_error("used id not in flight", id);
            continue;
        }

        // Return the chain's descriptors, following our private links.
        uint16_t d = static_cast<uint16_t>(id);
        for (uint16_t i = 0; i < chain_len_[id]; ++i) {
            free_stack_[free_top_++] = d;
            d = next_[d];
        }
        head_busy_[id] = 0;
        --in_flight_;
        if (written > writable_[id]) {
            device_error("used len exceeds writable size", written);
            written = static_cast<uint32_t>(writable_[id]);
        }
        token = token_[id];
        len = written;
        return true;
    }
}

bool DriverQueue::enable_interrupts() {
    if (!desc_)
        return false;
    if (event_idx_)
        ring::store16(avail_ + used_event_offset(num_), last_used_);
    else
        ring::store16(avail_ + kAvailFlagsOffset, 0);
    ring::full_fence();
    return ring::load16(used_ + kUsedIdxOffset) != last_used_;
}

void DriverQueue::disable_interrupts() {
    if (desc_ && !event_idx_)
        ring::store16(avail_ + kAvailFlagsOffset, kAvailFNoInterrupt);
}

} // namespace vdmabuf::virtio
