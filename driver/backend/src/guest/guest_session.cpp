#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/virtio/split_ring.hpp>

#include <fcntl.h>
#include <sys/epoll.h>

#include <atomic>
#include <cstring>

namespace vdmabuf::backend {
namespace {

std::atomic<uint32_t> g_next_connection{1};

// Interactive events waiting while the guest posts no eventq buffers: a few
// seconds of typing; MOTION bursts coalesce and take one slot.
constexpr size_t kHostEventCapacity = 1024;

virtio::DeviceQueueLimits ctrl_limits() {
    virtio::DeviceQueueLimits limits;
    // §3.2: a longer readable part is a chain the device does not walk (used len 0).
    limits.max_readable = VDMABUF_MAX_REQUEST_SIZE;
    return limits;
}

virtio::DeviceQueueLimits event_limits() {
    virtio::DeviceQueueLimits limits;
    limits.max_writable = 4096; // events are 64 bytes; anything far larger is bogus
    return limits;
}

// Front-end virtual address -> guest-physical, when [uva, uva + len) lies in one region.
bool uva_to_gpa(const virtio::GuestMemory& mem, uint64_t uva, uint64_t len, uint64_t& gpa) {
    for (int i = 0; i < mem.region_count(); ++i) {
        const virtio::vhost_user::MemoryRegion d = mem.region_desc(i);
        if (uva < d.userspace_addr)
            continue;
        const uint64_t off = uva - d.userspace_addr;
        if (off < d.memory_size && len <= d.memory_size - off) {
            gpa = d.guest_phys_addr + off;
            return true;
        }
    }
    return false;
}

} // namespace

std::unique_ptr<GuestSession> GuestSession::create(UniqueFd&& sock, EventLoop& loop, Hub& hub,
                                                   const GuestOptions& opts,
                                                   std::function<void(GuestSession&)> on_closed) {
    if (!sock) {
        VDM_ERROR("guest: no socket");
        return nullptr;
    }
    const int fl = ::fcntl(sock.get(), F_GETFL);
    if (fl < 0 || ::fcntl(sock.get(), F_SETFL, fl | O_NONBLOCK) < 0) {
        VDM_ERRNO("guest: fcntl(O_NONBLOCK)");
        return nullptr;
    }
    std::unique_ptr<GuestSession> s(
        new GuestSession(std::move(sock), loop, hub, opts, std::move(on_closed)));
    GuestSession* self = s.get();
    if (!loop.add(s->sock_.get(), EPOLLIN, [self](uint32_t events) { self->on_socket(events); })) {
        VDM_ERROR("guest: cannot watch connection socket");
        s->closed_ = true; // nothing was announced to the hub
        return nullptr;
    }
    VDM_INFO("vhost-user connection %u: connected", s->connection_);
    return s;
}

GuestSession::GuestSession(UniqueFd&& sock, EventLoop& loop, Hub& hub, const GuestOptions& opts,
                           std::function<void(GuestSession&)> on_closed)
    : loop_(loop), hub_(hub), opts_(opts), on_closed_(std::move(on_closed)),
      sock_(std::move(sock)), connection_(g_next_connection++),
      vrings_{Vring{event_limits()}, Vring{ctrl_limits()}},
      table_(opts.max_buffers == 0 ? 1 : opts.max_buffers),
      events_(size_t{opts.max_buffers} * 2 + 16), host_events_(kHostEventCapacity) {
    if (opts_.max_buffers == 0)
        opts_.max_buffers = 1;
    request_.resize(VDMABUF_MAX_REQUEST_SIZE);
    extents_.reserve(VDMABUF_MAX_EXTENTS);
    scratch_.reserve(VDMABUF_MAX_EXTENTS);
}

GuestSession::~GuestSession() {
    if (!closed_) {
        closed_ = true;
        end_session("session destroyed");
    }
    for (uint32_t i = 0; i < vrings_.size(); ++i)
        stop_vring(i);
    if (sock_)
        loop_.remove(sock_.get());
}

void GuestSession::close_connection(const char* why) {
    if (closed_)
        return;
    closed_ = true;
    end_session(why);
    for (uint32_t i = 0; i < vrings_.size(); ++i)
        stop_vring(i);
    loop_.remove(sock_.get());
    sock_.reset();
    memory_.clear();
    // What no guest_removed() reported (no HELLO, or counted after the session ended).
    hub_.connection_counters(counters_);
    counters_ = {};
    if (ids_.guest != 0)
        VDM_INFO("guest %u '%s' disconnected (connection %u): %s", ids_.guest, name_.c_str(),
                 connection_, why);
    else
        VDM_INFO("vhost-user connection %u: disconnected: %s", connection_, why);
    if (on_closed_)
        on_closed_(*this);
}

void GuestSession::end_session(const char* why) {
    if (!ready_)
        return;
    retire_buffers();
    ready_ = false;
    hello_features_.reset();
    sequences_ = {};
    events_.clear(); // presentations are forgotten without RELEASE (§9)
    host_events_.clear();
    host_frame_boundary_ = true;
    hub_.guest_removed(*this); // the hub keeps the counters in its totals
    counters_ = {};
    VDM_INFO("guest %u '%s': session ended: %s", ids_.guest, name_.c_str(), why);
}

void GuestSession::retire_buffers() {
    // Forget the presentations first, so a release() the hub makes from inside
    // buffer_removed() finds nothing in flight and sends nothing (§9).
    table_.for_each([](BufferTable::Entry& e) { e.in_flight = e.release_pending = false; });
    in_flight_ = 0;
    table_.for_each([this](const BufferTable::Entry& e) { hub_.buffer_removed(*this, e.buffer); });
    counters_.retired += table_.size();
    table_.clear();
    in_flight_ = 0;
}

size_t GuestSession::ring_ranges(std::array<GpaRange, 6>& out) const {
    size_t n = 0;
    for (const Vring& vr : vrings_) {
        if (!vr.have_addr || !vr.queue.configured())
            continue;
        const uint32_t num = vr.queue.num();
        const bool ev = vr.queue.event_idx();
        const std::array<std::pair<uint64_t, uint64_t>, 3> parts = {{
            {vr.addr.desc_user_addr, virtio::desc_table_size(num)},
            {vr.addr.avail_user_addr, virtio::avail_size(num, ev)},
            {vr.addr.used_user_addr, virtio::used_size(num, ev)},
        }};
        for (const auto& [uva, len] : parts) {
            uint64_t gpa = 0;
            if (uva_to_gpa(memory_, uva, len, gpa))
                out[n++] = {gpa, len};
        }
    }
    return n;
}

const Buffer* GuestSession::find_buffer(const BufferId& id) const {
    if (!ready_ || id.guest != ids_.guest || id.key != ids_.key)
        return nullptr;
    const BufferTable::Entry* e = table_.find(id.counter);
    return e ? &e->buffer : nullptr;
}

void GuestSession::for_each_buffer(const std::function<void(const Buffer&)>& fn) const {
    table_.for_each([&fn](const BufferTable::Entry& e) { fn(e.buffer); });
}

void GuestSession::release(const BufferId& id, uint64_t sequence, uint32_t output, uint32_t reason) {
    BufferTable::Entry* e = nullptr;
    if (ready_ && id.guest == ids_.guest && id.key == ids_.key)
        e = table_.find(id.counter);
    if (!e || !e->in_flight || e->sequence != sequence || e->output != output) {
        if (should_log(++ignored_releases_))
            VDM_WARN("guest %u: release of buffer %u sequence %llu output %u: no such "
                     "presentation in flight (ignored, %llu so far)",
                     ids_.guest, id.counter, static_cast<unsigned long long>(sequence), output,
                     static_cast<unsigned long long>(ignored_releases_));
        return;
    }
    e->in_flight = false;
    --in_flight_;
    if (reason < std::size(counters_.releases))
        ++counters_.releases[reason];
    vdmabuf_evt_release ev{};
    ev.hdr.type = VDMABUF_EVT_RELEASE;
    ev.id = id.to_wire();
    ev.sequence = sequence;
    ev.output = output;
    ev.reason = reason;
    // Until the driver can read it, the buffer stays busy (cleared in flush_events).
    e->release_pending = true;
    if (!queue_event(&ev, sizeof ev))
        e->release_pending = false; // dropped (counted): do not wedge the buffer
}

void GuestSession::delivered(const EventFifo::Event& ev) {
    vdmabuf_evt_release rel{};
    if (ev.len != sizeof rel)
        return;
    std::memcpy(&rel, ev.bytes.data(), sizeof rel);
    if (rel.hdr.type != VDMABUF_EVT_RELEASE || rel.id.guest != ids_.guest || rel.id.key != ids_.key)
        return;
    if (BufferTable::Entry* e = table_.find(rel.id.counter); e && e->sequence == rel.sequence)
        e->release_pending = false;
}

void GuestSession::refresh(uint32_t output) {
    if (!ready_)
        return;
    vdmabuf_evt_refresh ev{};
    ev.hdr.type = VDMABUF_EVT_REFRESH;
    ev.output = output;
    if (events_.contains(&ev, sizeof ev))
        return; // one pending REFRESH per output is enough
    queue_event(&ev, sizeof ev);
}

} // namespace vdmabuf::backend
