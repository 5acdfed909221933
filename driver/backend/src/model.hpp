// The device's state as both halves of vdmabufd see it: the guest side
// (GuestSession: vhost-user, virtqueues, request validation) and the consumer
// side (Hub: consumers, holders, timeouts, imports). Values here were already
// validated by the guest side; the consumer side never re-reads guest memory
// for them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "vdmabuf_wire.h"

namespace vdmabuf::backend {

struct BufferId {
    uint32_t guest = 0;
    uint32_t counter = 0;
    uint64_t key = 0;

    friend bool operator==(const BufferId&, const BufferId&) = default;
    [[nodiscard]] static BufferId from_wire(const vdmabuf_id& w) { return {w.guest, w.counter, w.key}; }
    [[nodiscard]] vdmabuf_id to_wire() const { return {guest, counter, key}; }
};

struct BufferIdHash {
    size_t operator()(const BufferId& id) const noexcept {
        return std::hash<uint64_t>{}((uint64_t{id.guest} << 32 | id.counter) ^ id.key);
    }
};

// A buffer's bytes as ranges of the guest-memory fds, in order.
struct FileExtent {
    int fd;          // borrowed from GuestMemory; valid while the buffer is live
    uint64_t offset; // within fd, page aligned
    uint64_t len;    // page multiple
};

struct Buffer {
    BufferId id;
    uint32_t fourcc = 0;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t n_planes = 0;
    uint64_t modifier = 0;
    std::array<vdmabuf_plane, VDMABUF_MAX_PLANES> planes{};
    uint64_t size = 0;
    std::vector<FileExtent> extents;
};

struct Presentation {
    BufferId id;
    uint32_t output = 0;
    uint64_t sequence = 0;
    uint64_t guest_time_ns = 0;
    uint64_t host_time_ns = 0; // daemon CLOCK_MONOTONIC when accepted
    uint32_t n_damage = 0;     // 0: whole buffer
    std::array<vdmabuf_rect, VDMABUF_MAX_DAMAGE> damage{};
};

// A guest output as its last OUTPUT request described it (§6.5).
struct GuestOutput {
    uint32_t output = 0;
    uint32_t flags = 0; // VDMABUF_OUTPUT_CONNECTED or 0 (gone)
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t refresh_mhz = 0;
    std::array<uint8_t, VDMABUF_NAME_LEN> name{}; // NUL-padded, validated
};

// A CURSOR_SET (§6.6); pixels borrowed for the duration of the call.
struct CursorImageRef {
    uint32_t output = 0;
    uint32_t width = 0; // 0 x 0: hidden
    uint32_t height = 0;
    uint32_t hotspot_x = 0;
    uint32_t hotspot_y = 0;
    const uint8_t* pixels = nullptr; // width * height * 4 bytes
};

// A CURSOR_MOVE (§6.7).
struct CursorPosition {
    uint32_t output = 0;
    int32_t x = 0;
    int32_t y = 0;
    bool visible = false;
};

// Per-guest counters, kept by the guest side and read by stats.
struct GuestCounters {
    uint64_t exports = 0;
    uint64_t presents = 0;
    uint64_t unexports = 0;
    uint64_t retired = 0; // buffers dropped without UNEXPORT (disconnect, reset, new memory table)
    uint64_t releases[4] = {}; // by vdmabuf_release_reason
    uint64_t errors[16] = {};  // by (code - VDMABUF_RESP_ERR_UNSPEC)
    uint64_t bad_chains = 0;   // chains returned unexecuted
    uint64_t broken_queues = 0;
    uint64_t bad_vhost_messages = 0;
    uint64_t events_pending_max = 0;
    uint64_t events_dropped = 0; // eventq FIFO full (a driver that never posts buffers)
    uint64_t kicks = 0;          // kick-fd wakeups (a kick storm shows here)
    uint64_t empty_kicks = 0;    // ctrlq kick wakeups that found no chain
    uint64_t ctrlq_yields = 0;   // ctrlq turns cut at the queue size, continued next loop turn
    // Interactive session (§6.5-§6.7, §8.3-§8.6).
    uint64_t outputs = 0;          // OUTPUT requests accepted
    uint64_t cursor_images = 0;    // CURSOR_SET accepted
    uint64_t cursor_moves = 0;     // CURSOR_MOVE accepted
    uint64_t events_in = 0;        // INPUT/KEYMAP/MODE/HOTPLUG queued for the guest
    uint64_t events_delivered = 0; // of those, written to eventq buffers
    uint64_t motion_coalesced = 0; // MOTION merged into a queued one
    uint64_t events_overflow = 0;  // dropped: the guest posted no buffers and the queue was full

    // Totals; events_pending_max is a maximum.
    GuestCounters& operator+=(const GuestCounters& c) {
        exports += c.exports;
        presents += c.presents;
        unexports += c.unexports;
        retired += c.retired;
        for (size_t i = 0; i < std::size(releases); ++i)
            releases[i] += c.releases[i];
        for (size_t i = 0; i < std::size(errors); ++i)
            errors[i] += c.errors[i];
        bad_chains += c.bad_chains;
        broken_queues += c.broken_queues;
        bad_vhost_messages += c.bad_vhost_messages;
        events_pending_max = events_pending_max > c.events_pending_max ? events_pending_max
                                                                       : c.events_pending_max;
        events_dropped += c.events_dropped;
        kicks += c.kicks;
        empty_kicks += c.empty_kicks;
        ctrlq_yields += c.ctrlq_yields;
        outputs += c.outputs;
        cursor_images += c.cursor_images;
        cursor_moves += c.cursor_moves;
        events_in += c.events_in;
        events_delivered += c.events_delivered;
        motion_coalesced += c.motion_coalesced;
        events_overflow += c.events_overflow;
        return *this;
    }
};

class GuestSession;

// The consumer side. The guest side calls these as things happen.
class Hub {
public:
    virtual ~Hub() = default;
    // After a successful HELLO.
    virtual void guest_added(GuestSession& guest) = 0;
    // The session ended: buffer_removed was already called for each live buffer.
    // Presentations in flight are forgotten: the hub must not call release() for them.
    virtual void guest_removed(GuestSession& guest) = 0;
    virtual void buffer_added(GuestSession& guest, const Buffer& buffer) = 0;
    virtual void buffer_removed(GuestSession& guest, const Buffer& buffer) = 0;
    // The hub owes exactly one guest.release(...) for this presentation
    // (unless guest_removed comes first). It may call it from inside presented().
    virtual void presented(GuestSession& guest, const Presentation& p) = 0;
    // Counters of a connection that no guest_removed() reported: it never said HELLO,
    // or counted more after its session ended. Added to the daemon totals.
    virtual void connection_counters(const GuestCounters& /*counters*/) {}
    // Accepted OUTPUT, CURSOR_SET and CURSOR_MOVE requests (after their RESP_OK).
    virtual void output_changed(GuestSession& guest, const GuestOutput& output) = 0;
    virtual void cursor_image(GuestSession& guest, const CursorImageRef& image) = 0;
    virtual void cursor_moved(GuestSession& guest, const CursorPosition& position) = 0;
};

} // namespace vdmabuf::backend
