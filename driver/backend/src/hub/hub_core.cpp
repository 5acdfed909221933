// HubCore: consumers' lifetime, guest events and release accounting.
// Consumer requests and stats are in hub_requests.cpp.
#define VDM_LOG_SCOPE "hub"
#include "hub/hub_core.hpp"
#include "hub/unix_listener.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::backend {

namespace {

constexpr const char* kReasonNames[4] = {"DONE", "NO_CONSUMER", "TIMEOUT", "DROPPED"};

// Calls fn(slot) for every bit set in mask.
template <class Fn> void for_each_slot(SlotMask mask, Fn&& fn) {
    while (mask) {
        auto slot = static_cast<unsigned>(std::countr_zero(mask));
        mask &= mask - 1;
        fn(slot);
    }
}

} // namespace

std::unique_ptr<HubCore> HubCore::create(EventLoop& loop, const HubOptions& opts) {
    UniqueFd timer{::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)};
    if (!timer) {
        VDM_ERRNO("timerfd_create failed");
        return nullptr;
    }
    uint64_t period_ms = std::clamp<uint64_t>(opts.release_timeout_ms / 4, 1, 250);
    itimerspec its{};
    its.it_interval.tv_sec = static_cast<time_t>(period_ms / 1000);
    its.it_interval.tv_nsec = static_cast<long>(period_ms % 1000 * 1'000'000);
    its.it_value = its.it_interval;
    if (::timerfd_settime(timer.get(), 0, &its, nullptr) != 0) {
        VDM_ERRNO("timerfd_settime failed");
        return nullptr;
    }
    auto importer = Importer::create(opts.try_udmabuf, opts.udmabuf_device.c_str(),
                                     opts.writable_imports);
    std::unique_ptr<HubCore> hub{new HubCore(loop, opts, std::move(timer), std::move(importer))};
    HubCore* self = hub.get();
    if (!loop.add(self->timer_.get(), EPOLLIN, [self](uint32_t) {
            uint64_t expirations;
            if (::read(self->timer_.get(), &expirations, sizeof(expirations)) > 0)
                self->sweep_timeouts(now_ns());
        }))
        return nullptr;
    return hub;
}

HubCore::HubCore(EventLoop& loop, const HubOptions& opts, UniqueFd&& timer,
                 std::unique_ptr<Importer> importer)
    : loop_(loop), opts_(opts), timer_(std::move(timer)), importer_(std::move(importer)) {
    guests_.reserve(16);
    import_packet_.reserve(sizeof(vdmabuf_c_import_reply) +
                           VDMABUF_MAX_EXTENTS * sizeof(vdmabuf_c_import_extent));
    cursor_packet_.reserve(sizeof(vdmabuf_c_cursor_image) +
                           VDMABUF_MAX_CURSOR * VDMABUF_MAX_CURSOR * 4);
}

HubCore::~HubCore() {
    shutdown();
    loop_.remove(timer_.get());
    if (reap_timer_)
        loop_.cancel_timer(reap_timer_);
}

size_t HubCore::consumer_count() const {
    return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(),
                                              [](const auto& c) { return c != nullptr; }));
}

HubCore::GuestEntry* HubCore::find_guest(uint32_t id) {
    auto it = guests_.find(id);
    return it == guests_.end() ? nullptr : &it->second;
}

// ---- consumer socket ----

bool HubCore::listen(const std::string& path) {
    UniqueFd fd = listen_unix(path, SOCK_SEQPACKET);
    if (!fd)
        return false;
    if (!loop_.add(fd.get(), EPOLLIN, [this](uint32_t) { accept_consumers(); })) {
        unlink_socket(path);
        return false;
    }
    listen_fd_ = std::move(fd);
    listen_path_ = path;
    VDM_INFO("consumer socket %s", path.c_str());
    return true;
}

void HubCore::accept_consumers() {
    for (;;) {
        UniqueFd fd{::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)};
        if (!fd) {
            if (errno == EINTR)
                continue;
            if (pause_on_resource_limit(loop_, listen_fd_.get(), errno, "consumer",
                                        counters_.accept_pauses, [this] {
                                            if (listen_fd_ && !shut_down_ &&
                                                loop_.add(listen_fd_.get(), EPOLLIN,
                                                          [this](uint32_t) { accept_consumers(); }))
                                                accept_consumers();
                                        }))
                return;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                VDM_ERRNO("accept4(consumer socket) failed");
            return;
        }
        adopt_consumer(std::move(fd));
    }
}

uint32_t HubCore::adopt_consumer(UniqueFd&& fd) {
    if (shut_down_)
        return 0;
    unsigned slot = kMaxConsumers;
    for (unsigned i = 0; i < kMaxConsumers; ++i)
        if (!slots_[i] && !(broken_ & slot_bit(i))) {
            slot = i;
            break;
        }
    if (slot == kMaxConsumers) {
        ++counters_.consumers_refused;
        VDM_WARN("consumer refused: already %u consumers", kMaxConsumers);
        return 0;
    }
    uint32_t id = next_consumer_id_++;
    slots_[slot] = ConsumerConnection::create(std::move(fd), id, slot, loop_, *this, holders_);
    if (!slots_[slot])
        return 0;
    ++counters_.consumers_accepted;
    VDM_INFO("consumer %u connected", id);
    return id;
}

void HubCore::on_broken(ConsumerConnection& c) {
    broken_ |= slot_bit(c.slot());
    // Reaped from a fresh stack: c may be mid-callback, or mid-way through
    // presented() handing a record to every viewer.
    if (!reap_timer_)
        reap_timer_ = loop_.add_timer_ms(0, [this] {
            reap_timer_ = 0;
            reap_consumers();
        });
}

void HubCore::reap_consumers() {
    SlotMask mask = std::exchange(broken_, 0);
    for_each_slot(mask, [this](unsigned slot) {
        if (!slots_[slot])
            return;
        uint32_t id = slots_[slot]->id();
        size_t n = release_all(slot);
        leave_inputs(slot);
        VDM_INFO("consumer %u disconnected, released %zu held presentation%s", id, n,
                 n == 1 ? "" : "s");
        slots_[slot].reset();
    });
}

size_t HubCore::release_all(unsigned slot) {
    size_t n = 0;
    for (uint32_t i = 0; i < holders_.capacity(); ++i)
        if (holders_.valid(i) && (holders_.at(i).holders & slot_bit(slot))) {
            drop_hold(i, slot, VDMABUF_RELEASE_DONE);
            ++n;
        }
    return n;
}

void HubCore::shutdown() {
    if (shut_down_)
        return;
    shut_down_ = true;
    if (listen_fd_) {
        loop_.remove(listen_fd_.get());
        listen_fd_.reset();
        unlink_socket(listen_path_);
    }
    for (auto& c : slots_)
        c.reset();
    broken_ = 0;
    for (uint32_t i = 0; i < holders_.capacity(); ++i)
        holders_.close(i);
    guests_.clear();
}

// ---- guests ----

void HubCore::send_guest(ConsumerConnection& c, uint32_t type, const GuestPort& guest) {
    vdmabuf_c_guest m{};
    m.hdr.type = type;
    m.hdr.size = sizeof(m);
    m.guest = guest.id();
    std::memcpy(m.name, guest.name().data(), std::min<size_t>(guest.name().size(), sizeof(m.name)));
    c.send(&m, sizeof(m));
}

void HubCore::send_buffer_new(ConsumerConnection& c, const Buffer& b) {
    vdmabuf_c_buffer_new m{};
    m.hdr.type = VDMABUF_C_BUFFER_NEW;
    m.hdr.size = sizeof(m);
    m.id = b.id.to_wire();
    m.fourcc = b.fourcc;
    m.width = b.width;
    m.height = b.height;
    m.n_planes = b.n_planes;
    m.modifier = b.modifier;
    for (unsigned i = 0; i < VDMABUF_MAX_PLANES; ++i)
        m.planes[i] = b.planes[i];
    m.size = b.size;
    c.send(&m, sizeof(m));
}

void HubCore::send_buffer_gone(ConsumerConnection& c, const BufferId& id) {
    vdmabuf_c_buffer_gone m{};
    m.hdr.type = VDMABUF_C_BUFFER_GONE;
    m.hdr.size = sizeof(m);
    m.id = id.to_wire();
    c.send(&m, sizeof(m));
}

void HubCore::guest_added(GuestPort& guest) {
    if (shut_down_)
        return;
    GuestEntry& e = guests_[guest.id()];
    e.port = &guest;
    e.buffers.reserve(64);
    VDM_INFO("guest %u \"%s\" added", guest.id(), guest.name().c_str());
    for_each_viewer([&](ConsumerConnection& c) {
        if (c.watches_guest(guest.name()))
            send_guest(c, VDMABUF_C_GUEST_NEW, guest);
    });
}

void HubCore::guest_removed(GuestPort& guest) {
    GuestEntry* e = find_guest(guest.id());
    if (!e)
        return;
    for (auto& [id, record] : e->buffers)
        if (record != kNoRecord)
            forget(record);
    retired_ += guest.counters();
    importer_->guest_removed(guest.id());
    for (auto& conn : slots_) {
        if (!conn)
            continue;
        conn->forget_guest(guest.id());
        if (conn->is_viewer() && conn->watches_guest(guest.name())) {
            // Buffers the guest side did not report gone first still get BUFFER_GONE.
            for (auto& [id, record] : e->buffers)
                send_buffer_gone(*conn, id);
            send_guest(*conn, VDMABUF_C_GUEST_GONE, guest);
        }
    }
    VDM_INFO("guest %u \"%s\" removed", guest.id(), guest.name().c_str());
    guests_.erase(guest.id());
}

void HubCore::buffer_added(GuestPort& guest, const Buffer& buffer) {
    GuestEntry* e = find_guest(guest.id());
    if (!e)
        return;
    ++counters_.exports;
    e->buffers.emplace(buffer.id, kNoRecord);
    for_each_viewer([&](ConsumerConnection& c) {
        if (c.watches_guest(guest.name()))
            send_buffer_new(c, buffer);
    });
}

void HubCore::buffer_removed(GuestPort& guest, const Buffer& buffer) {
    GuestEntry* e = find_guest(guest.id());
    if (!e)
        return;
    auto it = e->buffers.find(buffer.id);
    if (it == e->buffers.end())
        return;
    ++counters_.unexports;
    if (it->second != kNoRecord)
        forget(it->second);
    e->buffers.erase(it);
    importer_->buffer_removed(buffer.id);
    for_each_viewer([&](ConsumerConnection& c) {
        if (c.watches_guest(guest.name()))
            send_buffer_gone(c, buffer.id);
    });
}

// ---- presentations and holds ----

void HubCore::release_now(GuestPort& guest, const Presentation& p, uint32_t reason) {
    guest.release(p.id, p.sequence, p.output, reason);
    ++counters_.releases[reason & 3];
    if (p.host_time_ns)
        accepted_to_device_release_.add(now_ns() - p.host_time_ns);
}

void HubCore::presented(GuestPort& guest, const Presentation& p) {
    if (shut_down_)
        return;
    ++counters_.presents;
    GuestEntry* e = find_guest(guest.id());
    auto it = e ? e->buffers.find(p.id) : decltype(GuestEntry::buffers)::iterator{};
    if (!e || it == e->buffers.end() || it->second != kNoRecord) {
        // The guest side guarantees none of this; still owe exactly one release.
        VDM_WARN("guest %u: PRESENT of an unknown or busy buffer; released at once", guest.id());
        release_now(guest, p, VDMABUF_RELEASE_NO_CONSUMER);
        return;
    }
    if (p.output < 32)
        e->outputs |= 1u << p.output;

    SlotMask viewers = 0;
    for (auto& c : slots_)
        if (c && c->is_viewer() && c->watches(guest.name(), p.output))
            viewers |= slot_bit(c->slot());
    if (!viewers) {
        release_now(guest, p, VDMABUF_RELEASE_NO_CONSUMER);
        return;
    }

    // Every holder is recorded before any send, so nothing below can see the
    // record with a partial holder set.
    uint32_t record = holders_.open(p);
    HoldRecord& r = holders_.at(record);
    r.holders = viewers;
    r.undelivered = viewers;
    uint64_t now = now_ns();
    for_each_slot(viewers, [&](unsigned slot) { r.since_ns[slot] = now; });
    it->second = record;

    for_each_slot(viewers, [&](unsigned slot) {
        uint32_t replaced = slots_[slot]->push_present(record);
        if (replaced != kNoRecord) {
            ++counters_.coalesced;
            drop_hold(replaced, slot, VDMABUF_RELEASE_DROPPED);
        }
    });
}

void HubCore::on_delivered(ConsumerConnection& c, uint32_t record) {
    if (!holders_.valid(record))
        return;
    HoldRecord& r = holders_.at(record);
    r.undelivered &= ~slot_bit(c.slot());
    uint64_t now = now_ns();
    r.sent_ns[c.slot()] = now;
    if (r.p.host_time_ns)
        accepted_to_sent_.add(now - r.p.host_time_ns);
}

void HubCore::drop_hold(uint32_t record, unsigned slot, uint32_t reason) {
    if (!holders_.valid(record))
        return;
    HoldRecord& r = holders_.at(record);
    if (!(r.holders & slot_bit(slot)))
        return;
    r.holders &= ~slot_bit(slot);
    r.undelivered &= ~slot_bit(slot);
    if (!r.holders)
        finish(record, reason);
}

void HubCore::finish(uint32_t record, uint32_t reason) {
    const Presentation& p = holders_.at(record).p;
    if (GuestEntry* e = find_guest(p.id.guest)) {
        if (auto it = e->buffers.find(p.id); it != e->buffers.end() && it->second == record)
            it->second = kNoRecord;
        VDM_DEBUG("guest %u: release seq %llu output %u %s", p.id.guest,
                  static_cast<unsigned long long>(p.sequence), p.output, kReasonNames[reason & 3]);
        release_now(*e->port, p, reason);
    }
    holders_.close(record);
}

void HubCore::forget(uint32_t record) {
    if (!holders_.valid(record))
        return;
    HoldRecord& r = holders_.at(record);
    for_each_slot(r.undelivered, [&](unsigned slot) {
        if (slots_[slot])
            slots_[slot]->cancel_present(record);
    });
    holders_.close(record);
}

void HubCore::sweep_timeouts(uint64_t now) {
    const uint64_t limit = uint64_t{opts_.release_timeout_ms} * 1'000'000u;
    for (uint32_t i = 0; i < holders_.capacity(); ++i) {
        if (!holders_.valid(i))
            continue;
        HoldRecord& r = holders_.at(i);
        SlotMask expired = 0;
        for_each_slot(r.holders, [&](unsigned slot) {
            if (now - r.since_ns[slot] >= limit)
                expired |= slot_bit(slot);
        });
        for_each_slot(expired, [&](unsigned slot) {
            if (!holders_.valid(i))
                return;
            ConsumerConnection* c = slots_[slot].get();
            ++counters_.timeouts;
            VDM_WARN("consumer %u held guest %u buffer %u seq %llu over %u ms: dropped (%s)",
                     c ? c->id() : 0, r.p.id.guest, r.p.id.counter,
                     static_cast<unsigned long long>(r.p.sequence), opts_.release_timeout_ms,
                     (r.undelivered & slot_bit(slot)) ? "never read" : "not released");
            if (c && (r.undelivered & slot_bit(slot)))
                c->cancel_present(i);
            drop_hold(i, slot, VDMABUF_RELEASE_TIMEOUT);
        });
    }
}

} // namespace vdmabuf::backend
