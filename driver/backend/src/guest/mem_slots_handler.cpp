// CONFIGURE_MEM_SLOTS (vhost-user protocol feature 15): GET_MAX_MEM_SLOTS, ADD_MEM_REG
// and REM_MEM_REG, which QEMU uses instead of SET_MEM_TABLE when the back-end offers
// the feature (one message per region, also for DIMMs plugged later).
//
// REM_MEM_REG of a region that live buffers use retires those buffers (as a new
// SET_MEM_TABLE retires all of them) instead of refusing: QEMU removes a region only
// when the memory is leaving the guest (unplug, remap); it ignores the refusal and
// frees the memory anyway, so keeping the buffers would only keep stale pages
// presentable. The retired buffers are gone for the hub (buffer_removed) before the
// region is unmapped, so nothing reads them afterwards. A ring in the region stops
// (unconfigured) until its memory comes back or the front-end sends SET_VRING_ADDR.
#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <vector>

namespace vdmabuf::backend {

namespace vu = virtio::vhost_user;

bool GuestSession::read_mem_reg(vu::MemoryRegion& out) {
    if (!(acked_protocol_features_ & vu::bit(vu::protocol_feature::kConfigureMemSlots))) {
        bad_vhost("CONFIGURE_MEM_SLOTS was not negotiated");
        return false;
    }
    vu::SingleMemoryRegion single{};
    if (!read_payload(single))
        return false;
    out = single.region;
    return true;
}

bool GuestSession::add_mem_reg() {
    vu::MemoryRegion desc{};
    if (!read_mem_reg(desc))
        return false;
    if (msg_.nfds != 1) {
        bad_vhost("%u fds, expected 1", msg_.nfds);
        return false;
    }
    if (!memory_.add_region(desc, msg_.take_fd(0))) {
        // GuestMemory logged why; the memory is unchanged.
        bad_vhost("region gpa 0x%" PRIx64 " size 0x%" PRIx64 " rejected (%d regions held)",
                  desc.guest_phys_addr, desc.memory_size, memory_.region_count());
        return false;
    }
    if (should_log(++region_messages_))
        VDM_INFO("vhost-user connection %u: ADD_MEM_REG gpa 0x%" PRIx64 " size 0x%" PRIx64
                 " uva 0x%" PRIx64 " offset 0x%" PRIx64 " (%d regions)",
                 connection_, desc.guest_phys_addr, desc.memory_size, desc.userspace_addr,
                 desc.mmap_offset, memory_.region_count());
    remap_vrings(); // a ring may have been waiting for this memory
    return true;
}

bool GuestSession::rem_mem_reg() {
    vu::MemoryRegion desc{};
    if (!read_mem_reg(desc))
        return false;
    // The spec: no fd, but one is tolerated (older QEMU sent it) and closed unused
    // (handle_message closes the fds no handler took).
    if (msg_.nfds > 1) {
        bad_vhost("%u fds, expected none", msg_.nfds);
        return false;
    }
    if (memory_.match(desc) < 0) {
        bad_vhost("no region gpa 0x%" PRIx64 " size 0x%" PRIx64 " uva 0x%" PRIx64,
                  desc.guest_phys_addr, desc.memory_size, desc.userspace_addr);
        return false;
    }
    const size_t retired = retire_buffers_in(desc.guest_phys_addr, desc.memory_size);
    if (retired > 0)
        VDM_WARN("guest %u '%s': memory region gpa 0x%" PRIx64 " size 0x%" PRIx64
                 " removed with %zu buffers in it; retired them",
                 ids_.guest, name_.c_str(), desc.guest_phys_addr, desc.memory_size, retired);
    if (!memory_.remove_region(desc))
        return false; // cannot happen: matched above
    if (should_log(++region_messages_))
        VDM_INFO("vhost-user connection %u: REM_MEM_REG gpa 0x%" PRIx64 " size 0x%" PRIx64
                 " (%d regions left; %u fds sent)",
                 connection_, desc.guest_phys_addr, desc.memory_size, memory_.region_count(),
                 msg_.nfds);
    remap_vrings(); // the ring pointers into the removed mapping are dropped here
    return true;
}

void GuestSession::remap_vrings() {
    for (uint32_t i = 0; i < vrings_.size(); ++i) {
        Vring& vr = vrings_[i];
        if (!vr.have_addr)
            continue;
        const bool was_configured = vr.queue.configured();
        // remap() keeps the ring state (base, used index); configure() starts afresh
        // for a ring that was never translated.
        if (vr.queue.remap())
            continue;
        if (!was_configured) {
            configure_vring(i);
            continue;
        }
        if (should_log(++region_messages_))
            VDM_WARN("vhost-user connection %u: vring %u is no longer inside guest memory; "
                     "stopped until its memory returns",
                     connection_, i);
    }
}

size_t GuestSession::retire_buffers_in(uint64_t gpa, uint64_t size) {
    std::vector<uint32_t> victims;
    table_.for_each([&](const BufferTable::Entry& e) {
        for (const GpaRange& r : e.ranges) {
            if (r.start < gpa + size && gpa < r.end()) {
                victims.push_back(e.buffer.id.counter);
                break;
            }
        }
    });
    for (uint32_t counter : victims) {
        BufferTable::Entry* e = table_.find(counter);
        // Forget the presentation first, so a release() the hub makes from inside
        // buffer_removed() finds nothing in flight (as retire_buffers does).
        if (e->in_flight)
            --in_flight_;
        e->in_flight = e->release_pending = false;
        hub_.buffer_removed(*this, e->buffer);
        table_.erase(counter);
        ++counters_.retired;
    }
    if (!victims.empty())
        drop_queued_releases(victims);
    return victims.size();
}

void GuestSession::drop_queued_releases(const std::vector<uint32_t>& counters) {
    // A retired buffer's presentations are forgotten without RELEASE (§9), also the
    // RELEASEs still waiting for an eventq buffer. The FIFO only shrinks here.
    for (size_t n = events_.size(); n > 0; --n) {
        const EventFifo::Event ev = events_.at(0);
        events_.pop();
        vdmabuf_evt_release rel{};
        if (ev.len == sizeof rel) {
            std::memcpy(&rel, ev.bytes.data(), sizeof rel);
            if (rel.hdr.type == VDMABUF_EVT_RELEASE && rel.id.guest == ids_.guest &&
                std::find(counters.begin(), counters.end(), rel.id.counter) != counters.end())
                continue;
        }
        (void)events_.push(ev.bytes.data(), ev.len);
    }
}

} // namespace vdmabuf::backend
