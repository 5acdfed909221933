// eventq: events wait in a fixed FIFO and go out, in order, whenever the driver has
// posted buffers (§3.2). Every pending RELEASE belongs to a live presentation, so the
// FIFO sized at max_buffers * 2 + 16 does not fill in practice; if it does, the event
// is dropped, counted and logged rather than grown.
#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::backend {

bool GuestSession::queue_event(const void* event, size_t len) {
    if (!events_.push(event, len)) {
        if (should_log(++counters_.events_dropped))
            VDM_ERROR("guest %u '%s': event queue full (%zu), event dropped (%llu so far)",
                      ids_.guest, name_.c_str(), events_.capacity(),
                      static_cast<unsigned long long>(counters_.events_dropped));
        return false;
    }
    if (events_.size() > counters_.events_pending_max)
        counters_.events_pending_max = events_.size();
    // Inside ctrlq processing (e.g. the hub releasing from presented()) the batch
    // end flushes; otherwise deliver now.
    if (!in_ctrl_)
        flush_events();
    return true;
}

bool GuestSession::queue_broken(Vring& vr, uint32_t index) {
    if (!vr.broken_counted) {
        vr.broken_counted = true;
        ++counters_.broken_queues;
        VDM_WARN("guest %u '%s': %s broken; not processed until the driver resets it",
                 ids_.guest, name_.c_str(), index == VDMABUF_VQ_CTRL ? "ctrlq" : "eventq");
    }
    return false;
}

void GuestSession::flush_events() {
    Vring& vr = vrings_[VDMABUF_VQ_EVENT];
    if (closed_ || !vr.watching)
        return;
    bool pushed = false;
    while (!events_.empty()) {
        const virtio::PopResult r = vr.queue.pop(event_chain_);
        if (r == virtio::PopResult::empty) {
            // Ask for a kick when the driver posts more; re-check to close the race.
            if (vr.queue.enable_notifications())
                continue;
            break;
        }
        if (r == virtio::PopResult::broken_queue) {
            (void)queue_broken(vr, VDMABUF_VQ_EVENT);
            break;
        }
        if (r == virtio::PopResult::bad_chain) {
            vr.queue.push(event_chain_.head(), 0);
            ++counters_.bad_chains;
            pushed = true;
            continue;
        }
        if (event_chain_.readable_len() > 0 || event_chain_.writable_len() < VDMABUF_EVENT_SIZE) {
            if (should_log(++counters_.bad_chains))
                VDM_WARN("guest %u '%s': eventq buffer with %zu readable, %zu writable bytes "
                         "returned unused",
                         ids_.guest, name_.c_str(), event_chain_.readable_len(),
                         event_chain_.writable_len());
            vr.queue.push(event_chain_.head(), 0);
            pushed = true;
            continue;
        }
        const EventFifo::Event& ev = events_.front();
        (void)event_chain_.write(ev.bytes.data(), ev.len);
        vr.queue.push(event_chain_);
        delivered(ev);
        events_.pop();
        pushed = true;
    }
    if (pushed)
        notify(VDMABUF_VQ_EVENT);
}

} // namespace vdmabuf::backend
