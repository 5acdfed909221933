// eventq: events wait in a fixed FIFO and go out, in order, whenever the driver has
// posted buffers (§3.2). Every pending RELEASE belongs to a live presentation, so the
// FIFO sized at max_buffers * 2 + 16 does not fill in practice; if it does, the event
// is dropped, counted and logged rather than grown.
#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <cstring>

namespace vdmabuf::backend {

namespace {

// The device-specific feature bits vdmabufd implements (§2).
constexpr uint64_t kDeviceFeatures = (1ull << VDMABUF_F_INPUT) | (1ull << VDMABUF_F_MODE) |
                                     (1ull << VDMABUF_F_CURSOR) | (1ull << VDMABUF_F_HOTPLUG);

bool read_input(const EventFifo::Event& e, vdmabuf_evt_input& out) {
    if (e.len != sizeof out)
        return false;
    std::memcpy(&out, e.bytes.data(), sizeof out);
    return out.hdr.type == VDMABUF_EVT_INPUT;
}

bool is_input(const EventFifo::Event& e, uint32_t kind, uint32_t output) {
    vdmabuf_evt_input in;
    return read_input(e, in) && in.kind == kind && in.output == output;
}

} // namespace

uint64_t GuestSession::features() const {
    return (hello_features_ ? *hello_features_ : acked_features_) & kDeviceFeatures;
}

bool GuestSession::coalesce_motion(const void* event, size_t len) {
    vdmabuf_evt_input in;
    if (len != sizeof in)
        return false;
    std::memcpy(&in, event, sizeof in);
    if (in.hdr.type != VDMABUF_EVT_INPUT || in.kind != VDMABUF_INPUT_MOTION)
        return false;
    const size_t n = host_events_.size();
    // [... MOTION] + MOTION: the newer position wins.
    if (n >= 1 && is_input(host_events_.at(n - 1), VDMABUF_INPUT_MOTION, in.output)) {
        std::memcpy(host_events_.at(n - 1).bytes.data(), &in, sizeof in);
        return true;
    }
    // [... FRAME, MOTION, FRAME] + MOTION: a pointer frame that only moved is merged
    // with the next one; its FRAME is dropped because the new motion's FRAME follows.
    if (n >= 2 && is_input(host_events_.at(n - 1), VDMABUF_INPUT_FRAME, in.output) &&
        is_input(host_events_.at(n - 2), VDMABUF_INPUT_MOTION, in.output)) {
        vdmabuf_evt_input before;
        const bool boundary = n == 2 ? host_frame_boundary_
                                     : read_input(host_events_.at(n - 3), before) &&
                                           before.kind == VDMABUF_INPUT_FRAME;
        if (!boundary)
            return false;
        std::memcpy(host_events_.at(n - 2).bytes.data(), &in, sizeof in);
        host_events_.pop_back();
        return true;
    }
    return false;
}

void GuestSession::queue_host_event(const void* event, size_t len) {
    if (!ready_ || closed_)
        return;
    ++counters_.events_in;
    if (coalesce_motion(event, len)) {
        ++counters_.motion_coalesced;
    } else if (!host_events_.push(event, len)) {
        if (should_log(++counters_.events_overflow))
            VDM_WARN("guest %u '%s': posts no event buffers and %zu input/mode events are "
                     "waiting; event dropped (%llu so far)",
                     ids_.guest, name_.c_str(), host_events_.capacity(),
                     static_cast<unsigned long long>(counters_.events_overflow));
        return;
    }
    if (!in_ctrl_)
        flush_events();
}

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
    while (!events_.empty() || !host_events_.empty()) {
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
        // Releases first: they unblock the guest's rendering.
        const bool host = events_.empty();
        EventFifo& fifo = host ? host_events_ : events_;
        const EventFifo::Event& ev = fifo.front();
        (void)event_chain_.write(ev.bytes.data(), ev.len);
        vr.queue.push(event_chain_);
        if (host) {
            ++counters_.events_delivered;
            vdmabuf_evt_input in;
            if (read_input(ev, in))
                host_frame_boundary_ = in.kind == VDMABUF_INPUT_FRAME;
        } else {
            delivered(ev);
        }
        fifo.pop();
        pushed = true;
    }
    if (pushed)
        notify(VDMABUF_VQ_EVENT);
}

} // namespace vdmabuf::backend
