// LIST and STATS replies (consumer spec §6) as text or JSON. The hub fills a
// StatsSnapshot; rendering is pure so it can be tested on its own. Not on the
// per-frame path (allocates freely).
#pragma once

#include <vdmabuf/shared/busy_poll.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"

namespace vdmabuf::backend {

inline constexpr int kConsumerErrorSlots = 11; // 0 (other) .. VDMABUF_C_ERR_UNKNOWN_OUTPUT

// Daemon-wide counters kept by the hub.
struct HubCounters {
    uint64_t exports = 0;
    uint64_t unexports = 0;
    uint64_t presents = 0;
    uint64_t releases[4] = {}; // by vdmabuf_release_reason
    uint64_t timeouts = 0;
    uint64_t coalesced = 0;
    uint64_t consumer_errors[kConsumerErrorSlots] = {}; // by vdmabuf_consumer_error
    // Interactive session.
    uint64_t outputs = 0;         // OUTPUT requests forwarded
    uint64_t cursor_images = 0;
    uint64_t cursor_moves = 0;
    uint64_t cursor_moves_coalesced = 0; // superseded in a consumer's backlog
    uint64_t guest_events[4] = {};       // queued for guests: input, keymap, mode, hotplug
    uint64_t leaves_sent = 0;            // INPUT LEAVE for a viewer that disconnected
    uint64_t consumers_accepted = 0;
    uint64_t consumers_refused = 0;
    uint64_t accept_pauses = 0; // a listener paused at the fd limit (both sockets)
    uint64_t guests_refused = 0; // guest connections over --max-guests
};

struct StatsSnapshot {
    struct BufferRow {
        BufferId id;
        uint64_t size = 0;
        uint32_t fourcc = 0;
        uint32_t width = 0;
        uint32_t height = 0;
        unsigned holders = 0;
    };
    struct GuestRow {
        uint32_t id = 0;
        std::string name;
        size_t in_flight = 0;
        uint32_t outputs = 0; // bit per output index it presented on
        std::vector<GuestOutput> screens; // connected outputs, by their last OUTPUT
        GuestCounters counters;
        std::vector<BufferRow> buffers;
    };
    struct ConsumerRow {
        uint32_t id = 0;
        uint32_t role = 0;
        uint32_t output = 0;
        std::string guest_filter;
        size_t held = 0;
        size_t queued = 0;
    };
    struct Stage {
        const char* name = "";
        size_t samples = 0;
        uint64_t p50_us = 0;
        uint64_t p99_us = 0;
    };

    std::vector<GuestRow> guests;
    std::vector<ConsumerRow> consumers;
    HubCounters daemon;
    GuestCounters guest_totals; // live guests plus those that left
    uint32_t import_mode = 0;
    uint64_t heap_allocations = 0;
    uint64_t rss_bytes = 0;
    uint32_t busy_poll_us = 0;      // the event loop's budget (--busy-poll-us)
    BusyPoll::Counters busy_poll{}; // and what its waits did
    Stage stages[3];
};

// format: VDMABUF_C_STATS_TEXT/JSON; what: VDMABUF_C_WHAT_STATS/LIST.
[[nodiscard]] std::string render_stats(const StatsSnapshot& s, uint32_t format, uint32_t what);
// Resident set size from /proc/self/statm; 0 if unreadable.
[[nodiscard]] uint64_t read_rss_bytes();
// "0123...": guest, counter, key as 32 lowercase hex digits.
[[nodiscard]] std::string id_hex(const BufferId& id);
// A JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
[[nodiscard]] std::string json_string(const std::string& s);

} // namespace vdmabuf::backend
