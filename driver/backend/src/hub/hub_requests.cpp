// HubCore: answering consumer requests (HELLO, IMPORT, RELEASE, STATS).
#define VDM_LOG_SCOPE "hub"
#include "hub/hub_core.hpp"

#include <cstddef>
#include <cstring>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include "hub/alloc_counter.hpp"

namespace vdmabuf::backend {

uint64_t heap_allocations() {
    return vdmabuf_heap_allocations ? vdmabuf_heap_allocations() : 0;
}

void HubCore::on_hello(ConsumerConnection& c, uint64_t tag) {
    vdmabuf_c_welcome w{};
    w.hdr.type = VDMABUF_C_WELCOME;
    // The 32-byte WELCOME for consumers that did not ask: they check its size.
    const bool limits = c.hello_flags() & VDMABUF_C_HELLO_WANT_LIMITS;
    w.hdr.size = limits ? sizeof(w) : offsetof(vdmabuf_c_welcome, release_timeout_ms);
    w.hdr.tag = tag; // a reply echoes its request's tag
    w.magic = VDMABUF_CONSUMER_MAGIC;
    w.version = VDMABUF_CONSUMER_VERSION;
    w.consumer = c.id();
    w.import_mode = importer_->mode();
    w.release_timeout_ms = opts_.release_timeout_ms;
    c.send(&w, w.hdr.size);
    char output[16] = "*";
    if (c.output_filter() != VDMABUF_CONSUMER_ANY)
        std::snprintf(output, sizeof(output), "%u", c.output_filter());
    VDM_INFO("consumer %u: %s, guest \"%s\", output %s", c.id(),
             c.role() == VDMABUF_ROLE_VIEWER ? "viewer" : "control",
             c.guest_filter().empty() ? "*" : c.guest_filter().c_str(), output);
    if (c.role() != VDMABUF_ROLE_VIEWER)
        return;
    // A late joiner learns the current state, then asks for fresh frames.
    for (auto& [id, e] : guests_) {
        GuestPort& g = *e.port;
        if (!c.watches_guest(g.name()))
            continue;
        send_guest(c, VDMABUF_C_GUEST_NEW, g);
        g.for_each_buffer([&](const Buffer& b) { send_buffer_new(c, b); });
    }
    for (auto& [id, e] : guests_)
        if (c.watches_guest(e.port->name()))
            replay_session(c, e);
    uint32_t refresh = c.output_filter() == VDMABUF_CONSUMER_ANY ? VDMABUF_OUTPUT_ALL : c.output_filter();
    for (auto& [id, e] : guests_)
        if (c.watches_guest(e.port->name()))
            e.port->refresh(refresh);
}

void HubCore::on_import(ConsumerConnection& c, uint64_t tag, const BufferId& id,
                        uint32_t flags) {
    GuestEntry* e = find_guest(id.guest);
    const Buffer* b = e && c.watches_guest(e->port->name()) ? e->port->find_buffer(id) : nullptr;
    if (!b) {
        c.send_error(tag, VDMABUF_C_IMPORT, VDMABUF_C_ERR_UNKNOWN_BUFFER);
        return;
    }
    const bool want_writable = (flags & VDMABUF_C_IMPORT_WRITABLE) != 0;
    if (!importer_->import(*b, import_result_, want_writable)) {
        VDM_WARN("consumer %u: IMPORT of guest %u buffer %u failed", c.id(), id.guest, id.counter);
        c.send_error(tag, VDMABUF_C_IMPORT, VDMABUF_C_ERR_IMPORT);
        return;
    }
    const auto& x = import_result_.extents;
    vdmabuf_c_import_reply r{};
    r.hdr.type = VDMABUF_C_IMPORT_REPLY;
    r.hdr.size = static_cast<uint32_t>(sizeof(r) + x.size() * sizeof(vdmabuf_c_import_extent));
    r.hdr.tag = tag;
    r.id = id.to_wire();
    r.mode = import_result_.mode;
    r.n_fds = static_cast<uint32_t>(import_result_.fds.size());
    r.size = import_result_.size;
    r.n_extents = static_cast<uint32_t>(x.size());
    r.flags = import_result_.writable ? VDMABUF_C_IMPORT_WRITABLE : 0;
    if (want_writable)
        c.log_writable_once(import_result_.writable, import_result_.why_not_writable);
    import_packet_.resize(r.hdr.size);
    std::memcpy(import_packet_.data(), &r, sizeof(r));
    std::memcpy(import_packet_.data() + sizeof(r), x.data(), x.size() * sizeof(vdmabuf_c_import_extent));
    c.send(import_packet_.data(), import_packet_.size(), import_result_.fds);
}

void HubCore::on_release(ConsumerConnection& c, uint64_t tag, const BufferId& id, uint64_t sequence) {
    GuestEntry* e = find_guest(id.guest);
    auto it = e ? e->buffers.find(id) : decltype(GuestEntry::buffers)::iterator{};
    const SlotMask bit = slot_bit(c.slot());
    // A hold whose PRESENT is still queued is not the consumer's yet.
    if (!e || it == e->buffers.end() || it->second == kNoRecord ||
        holders_.at(it->second).p.sequence != sequence ||
        !(holders_.at(it->second).holders & bit) || (holders_.at(it->second).undelivered & bit)) {
        VDM_DEBUG("consumer %u: RELEASE of guest %u buffer %u seq %llu it does not hold", c.id(),
                  id.guest, id.counter, static_cast<unsigned long long>(sequence));
        c.send_error(tag, VDMABUF_C_RELEASE, VDMABUF_C_ERR_NOT_HELD);
        return;
    }
    uint32_t record = it->second;
    sent_to_release_.add(now_ns() - holders_.at(record).sent_ns[c.slot()]);
    drop_hold(record, c.slot(), VDMABUF_RELEASE_DONE);
}

void HubCore::on_stats(ConsumerConnection& c, uint64_t tag, uint32_t format, uint32_t what) {
    std::string text = render_stats(snapshot(), format, what);
    constexpr size_t kMaxText = VDMABUF_CONSUMER_MAX_MESSAGE - sizeof(vdmabuf_c_stats_reply);
    if (text.size() > kMaxText) {
        VDM_WARN("STATS reply of %zu bytes truncated to %zu", text.size(), kMaxText);
        text.resize(kMaxText);
    }
    vdmabuf_c_stats_reply r{};
    r.hdr.type = VDMABUF_C_STATS_REPLY;
    r.hdr.size = static_cast<uint32_t>(sizeof(r) + text.size());
    r.hdr.tag = tag;
    r.format = format;
    r.length = static_cast<uint32_t>(text.size());
    std::vector<uint8_t> packet(r.hdr.size);
    std::memcpy(packet.data(), &r, sizeof(r));
    std::memcpy(packet.data() + sizeof(r), text.data(), text.size());
    c.send(packet.data(), packet.size());
}

void HubCore::on_error(ConsumerConnection&, uint32_t code) {
    ++counters_.consumer_errors[code < kConsumerErrorSlots ? code : 0];
}

StatsSnapshot HubCore::snapshot() const {
    StatsSnapshot s;
    s.daemon = counters_;
    s.guest_totals = retired_;
    for (const auto& [gid, entry] : guests_) {
        const GuestEntry& e = entry; // clang 14 cannot capture structured bindings
        StatsSnapshot::GuestRow g;
        g.id = gid;
        g.name = e.port->name();
        g.in_flight = e.port->presentations_in_flight();
        g.outputs = e.outputs;
        for (const GuestOutput& o : e.screens)
            if (o.flags)
                g.screens.push_back(o);
        g.counters = e.port->counters();
        e.port->for_each_buffer([&](const Buffer& b) {
            StatsSnapshot::BufferRow row;
            row.id = b.id;
            row.size = b.size;
            row.fourcc = b.fourcc;
            row.width = b.width;
            row.height = b.height;
            if (auto it = e.buffers.find(b.id); it != e.buffers.end() && it->second != kNoRecord)
                row.holders = holders_.at(it->second).holder_count();
            g.buffers.push_back(row);
        });
        s.guest_totals += g.counters;
        s.guests.push_back(std::move(g));
    }
    std::sort(s.guests.begin(), s.guests.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (const auto& c : slots_) {
        if (!c || c->broken())
            continue;
        StatsSnapshot::ConsumerRow row;
        row.id = c->id();
        row.role = c->ready() ? c->role() : 0;
        row.output = c->output_filter();
        row.guest_filter = c->guest_filter();
        row.held = holders_.held_by(c->slot());
        row.queued = c->queued();
        s.consumers.push_back(std::move(row));
    }
    s.import_mode = importer_->mode();
    s.heap_allocations = heap_allocations();
    s.rss_bytes = read_rss_bytes();
    s.busy_poll_us = loop_.busy_poll().budget_us();
    s.busy_poll = loop_.busy_poll().counters();
    const LatencyRing* rings[3] = {&accepted_to_sent_, &sent_to_release_, &accepted_to_device_release_};
    const char* names[3] = {"accepted_to_sent", "sent_to_release", "accepted_to_device_release"};
    for (int i = 0; i < 3; ++i) {
        s.stages[i].name = names[i];
        s.stages[i].samples = rings[i]->count();
        s.stages[i].p50_us = rings[i]->percentile_us(50);
        s.stages[i].p99_us = rings[i]->percentile_us(99);
    }
    return s;
}

} // namespace vdmabuf::backend
