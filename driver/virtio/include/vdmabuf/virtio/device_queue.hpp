// Device side of one split virtqueue whose rings live in GuestMemory (the back-end's
// view). Everything read from the rings is guest data: pop() validates each chain and
// reports bad_chain (head still returnable) or broken_queue (stop using the queue until
// it is reconfigured) instead of trusting it. Not thread-safe; one queue per thread.
#pragma once

#include <vdmabuf/virtio/chain.hpp>
#include <vdmabuf/virtio/guest_memory.hpp>

#include <cstddef>
#include <cstdint>

namespace vdmabuf::virtio {

enum class PopResult {
    empty,        // nothing available (or queue not ready)
    ok,           // chain filled in
    bad_chain,    // chain.head() is valid but the chain is not: push(head, 0) it back
    broken_queue, // ring state is corrupt; stop processing (NEEDS_RESET territory)
};

[[nodiscard]] const char* pop_result_name(PopResult result);

struct DeviceQueueLimits {
    size_t max_readable = size_t{1} << 20; // total readable bytes per chain
    size_t max_writable = size_t{1} << 20; // total writable bytes per chain
    uint32_t max_indirect = 1024;          // entries in one indirect table
};

class DeviceQueue {
public:
    explicit DeviceQueue(DeviceQueueLimits limits = {});
    DeviceQueue(const DeviceQueue&) = delete;
    DeviceQueue& operator=(const DeviceQueue&) = delete;

    // SET_VRING_ADDR time: translates the ring uvas, checks sizes and alignment (16/2/4)
    // and that num is a power of two <= 32768. Keeps `mem` by reference: it must outlive
    // the queue's use, and after the memory table changes call remap(). Reads the
    // current used->idx from the ring. The base set by set_base() is kept.
    [[nodiscard]] bool configure(GuestMemory& mem, uint32_t num, uint64_t desc_uva,
                                 uint64_t avail_uva, uint64_t used_uva, bool event_idx,
                                 bool indirect_desc = false);
    // Re-translates the stored ring uvas after SET_MEM_TABLE / ADD/REM_MEM_REG.
    [[nodiscard]] bool remap();
    // Forgets the rings (RESET_DEVICE, disconnect): unconfigured, disabled, base 0,
    // not broken. error_count() is kept.
    void reset();

    // SET_VRING_BASE / GET_VRING_BASE: next avail index to process.
    void set_base(uint16_t last_avail) { last_avail_ = last_avail; }
    [[nodiscard]] uint16_t base() const { return last_avail_; }

    void enable(bool on) { enabled_ = on; }
    [[nodiscard]] bool enabled() const { return enabled_; }
    [[nodiscard]] bool configured() const { return desc_ != nullptr; }
    [[nodiscard]] bool broken() const { return broken_; }
    // configured && enabled && !broken.
    [[nodiscard]] bool ready() const { return configured() && enabled_ && !broken_; }
    [[nodiscard]] uint32_t num() const { return num_; }
    [[nodiscard]] bool event_idx() const { return event_idx_; }

    [[nodiscard]] PopResult pop(Chain& out);
    // The driver has published chains that pop() has not taken yet (a hint for
    // scheduling; pop() still validates). False while not ready.
    [[nodiscard]] bool has_available() const;

    // Writes the used element, release-fences, publishes used->idx.
    void push(const Chain& chain);
    void push(uint16_t head, uint32_t written);

    // After a batch of pushes: should the driver be interrupted (call eventfd)?
    // EVENT_IDX: vring_need_event(used_event, used idx, used idx at the last call).
    // Otherwise: !(avail->flags & NO_INTERRUPT), and only if something was pushed.
    [[nodiscard]] bool should_notify();

    // Ask the driver to kick on its next add. EVENT_IDX: avail_event = last avail;
    // otherwise clears used->flags NO_NOTIFY.
    void set_avail_event();
    // Ask the driver not to kick. EVENT_IDX: leaves avail_event behind (no write);
    // otherwise sets used->flags NO_NOTIFY.
    void disable_notifications();
    // set_avail_event() + full fence + re-check: true if more work arrived meanwhile
    // (pop again before sleeping). Always false while the ring is disabled.
    [[nodiscard]] bool enable_notifications();

    // Bad chains and broken-queue events seen since construction.
    [[nodiscard]] uint64_t error_count() const { return errors_; }

private:
    bool walk(uint16_t head, Chain& out);
    bool bad(const char* why, uint16_t head);
    PopResult broken(const char* why, uint32_t value);

    DeviceQueueLimits limits_;
    GuestMemory* mem_ = nullptr;
    uint8_t* desc_ = nullptr;
    uint8_t* avail_ = nullptr;
    uint8_t* used_ = nullptr;
    uint64_t desc_uva_ = 0, avail_uva_ = 0, used_uva_ = 0;
    uint32_t num_ = 0;
    bool event_idx_ = false;
    bool indirect_ = false;
    bool enabled_ = false;
    bool broken_ = false;
    uint16_t last_avail_ = 0;
    uint16_t used_idx_ = 0;
    uint16_t signalled_used_ = 0; // used idx at the last should_notify()
    uint64_t errors_ = 0;
    bool logged_bad_chain_ = false;
};

} // namespace vdmabuf::virtio
