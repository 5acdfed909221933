#include "hub/stats.hpp"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include <vdmabuf/shared/format.hpp>

#include "vdmabuf_consumer.h"

namespace vdmabuf::backend {

namespace {

const char* const kReleaseNames[4] = {"done", "no_consumer", "timeout", "dropped"};
const char* const kDeviceErrorNames[16] = {
    "UNSPEC",       "MALFORMED",      "NOT_READY",      "VERSION",
    "INVALID_ID",   "DUPLICATE_ID",   "INVALID_ADDRESS", "OVERLAP",
    "INVALID_SIZE", "INVALID_FORMAT", "INVALID_LAYOUT", "QUOTA",
    "IN_USE",       "INVALID_OUTPUT", "STALE_SEQUENCE", "INVALID_DAMAGE"};
const char* const kConsumerErrorNames[kConsumerErrorSlots] = {
    "NONE",     "MALFORMED", "NOT_READY", "VERSION",       "UNKNOWN_BUFFER",
    "NOT_HELD", "ROLE",      "IMPORT",    "UNKNOWN_GUEST", "UNSUPPORTED", "UNKNOWN_OUTPUT"};
const char* const kGuestEventNames[4] = {"input", "keymap", "mode", "hotplug"};

__attribute__((format(printf, 2, 3))) void append(std::string& out, const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        out.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
}

const char* role_name(uint32_t role) {
    return role == VDMABUF_ROLE_VIEWER ? "viewer" : role == VDMABUF_ROLE_CONTROL ? "control" : "none";
}

std::string fmt_name(uint32_t fourcc) {
    const FormatInfo* info = format_info(fourcc);
    return info ? info->name : format_name(fourcc);
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_len(const std::string& s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size())
        return 0;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (b(i + k) & 0x3f);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

// Printable text for the text format: non-printable bytes become '?'.
std::string printable(const std::string& s) {
    std::string out = s;
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    return out;
}

std::string filter_text(uint32_t output, const std::string& guest) {
    std::string out = guest.empty() ? std::string("*") : printable(guest);
    if (output == VDMABUF_CONSUMER_ANY)
        out += ":*";
    else
        append(out, ":%u", output);
    return out;
}

void outputs_json(std::string& o, uint32_t mask) {
    o += '[';
    bool first = true;
    for (unsigned i = 0; i < 32; ++i)
        if (mask & (1u << i)) {
            append(o, "%s%u", first ? "" : ",", i);
            first = false;
        }
    o += ']';
}

void guest_counters_json(std::string& o, const GuestCounters& c) {
    append(o, "{\"exports\":%" PRIu64 ",\"presents\":%" PRIu64 ",\"unexports\":%" PRIu64
              ",\"retired\":%" PRIu64,
           c.exports, c.presents, c.unexports, c.retired);
    o += ",\"releases\":{";
    for (int r = 0; r < 4; ++r)
        append(o, "%s\"%s\":%" PRIu64, r ? "," : "", kReleaseNames[r], c.releases[r]);
    o += "},\"errors\":{";
    for (int e = 0; e < 16; ++e)
        append(o, "%s\"%s\":%" PRIu64, e ? "," : "", kDeviceErrorNames[e], c.errors[e]);
    append(o, "},\"bad_chains\":%" PRIu64 ",\"broken_queues\":%" PRIu64
              ",\"bad_vhost_messages\":%" PRIu64 ",\"events_pending_max\":%" PRIu64
              ",\"events_dropped\":%" PRIu64 ",\"kicks\":%" PRIu64 ",\"empty_kicks\":%" PRIu64
              ",\"ctrlq_yields\":%" PRIu64,
           c.bad_chains, c.broken_queues, c.bad_vhost_messages, c.events_pending_max,
           c.events_dropped, c.kicks, c.empty_kicks, c.ctrlq_yields);
    append(o, ",\"outputs\":%" PRIu64 ",\"cursor_images\":%" PRIu64 ",\"cursor_moves\":%" PRIu64
              ",\"host_events\":%" PRIu64 ",\"host_events_delivered\":%" PRIu64
              ",\"motion_coalesced\":%" PRIu64 ",\"host_events_overflow\":%" PRIu64 "}",
           c.outputs, c.cursor_images, c.cursor_moves, c.events_in, c.events_delivered,
           c.motion_coalesced, c.events_overflow);
}

void guest_counters_text(std::string& o, const GuestCounters& c, const char* indent) {
    append(o, "%sexports %" PRIu64 ", presents %" PRIu64 ", unexports %" PRIu64
              ", retired %" PRIu64 "\n",
           indent, c.exports, c.presents, c.unexports, c.retired);
    append(o, "%sreleases: done %" PRIu64 ", no_consumer %" PRIu64 ", timeout %" PRIu64
              ", dropped %" PRIu64 "\n",
           indent, c.releases[0], c.releases[1], c.releases[2], c.releases[3]);
    append(o, "%serrors:", indent);
    bool any = false;
    for (int e = 0; e < 16; ++e)
        if (c.errors[e]) {
            append(o, " %s %" PRIu64, kDeviceErrorNames[e], c.errors[e]);
            any = true;
        }
    o += any ? "\n" : " none\n";
    append(o, "%sbad chains %" PRIu64 ", broken queues %" PRIu64 ", bad vhost messages %" PRIu64
              ", events dropped %" PRIu64 ", kicks %" PRIu64 " (%" PRIu64 " empty)\n",
           indent, c.bad_chains, c.broken_queues, c.bad_vhost_messages, c.events_dropped, c.kicks,
           c.empty_kicks);
    append(o, "%soutputs %" PRIu64 ", cursor images %" PRIu64 ", cursor moves %" PRIu64 "\n", indent,
           c.outputs, c.cursor_images, c.cursor_moves);
    append(o, "%shost events %" PRIu64 ", delivered %" PRIu64 ", motion coalesced %" PRIu64
              ", overflow %" PRIu64 "\n",
           indent, c.events_in, c.events_delivered, c.motion_coalesced, c.events_overflow);
}

std::string screen_name(const GuestOutput& o) {
    return std::string(reinterpret_cast<const char*>(o.name.data()),
                       strnlen(reinterpret_cast<const char*>(o.name.data()), o.name.size()));
}

std::string list_json(const StatsSnapshot& s) {
    std::string o = "{\"guests\":[";
    for (size_t g = 0; g < s.guests.size(); ++g) {
        const auto& gr = s.guests[g];
        append(o, "%s{\"id\":%u,\"name\":", g ? "," : "", gr.id);
        o += json_string(gr.name);
        append(o, ",\"buffers\":%zu,\"in_flight\":%zu,\"outputs\":", gr.buffers.size(), gr.in_flight);
        outputs_json(o, gr.outputs);
        o += ",\"connected_outputs\":[";
        for (size_t i = 0; i < gr.screens.size(); ++i) {
            const GuestOutput& sc = gr.screens[i];
            append(o, "%s{\"output\":%u,\"name\":", i ? "," : "", sc.output);
            o += json_string(screen_name(sc));
            append(o, ",\"width\":%u,\"height\":%u,\"refresh_mhz\":%u}", sc.width, sc.height,
                   sc.refresh_mhz);
        }
        o += "]}";
    }
    o += "],\"buffers\":[";
    bool first = true;
    for (const auto& gr : s.guests)
        for (const auto& b : gr.buffers) {
            append(o, "%s{\"id\":\"%s\",\"guest\":%u,\"size\":%" PRIu64 ",\"format\":", first ? "" : ",",
                   id_hex(b.id).c_str(), b.id.guest, b.size);
            o += json_string(fmt_name(b.fourcc));
            append(o, ",\"width\":%u,\"height\":%u,\"holders\":%u}", b.width, b.height, b.holders);
            first = false;
        }
    o += "],\"consumers\":[";
    for (size_t c = 0; c < s.consumers.size(); ++c) {
        const auto& cr = s.consumers[c];
        append(o, "%s{\"id\":%u,\"role\":\"%s\",\"guest_filter\":", c ? "," : "", cr.id,
               role_name(cr.role));
        o += json_string(cr.guest_filter);
        if (cr.output == VDMABUF_CONSUMER_ANY)
            o += ",\"output_filter\":null";
        else
            append(o, ",\"output_filter\":%u", cr.output);
        append(o, ",\"held\":%zu,\"queued\":%zu}", cr.held, cr.queued);
    }
    o += "]}";
    return o;
}

std::string list_text(const StatsSnapshot& s) {
    std::string o;
    append(o, "guests: %zu\n", s.guests.size());
    for (const auto& g : s.guests) {
        append(o, "  guest %u \"%s\": %zu buffers, %zu in flight, outputs", g.id,
               printable(g.name).c_str(), g.buffers.size(), g.in_flight);
        if (!g.outputs)
            o += " none";
        for (unsigned i = 0; i < 32; ++i)
            if (g.outputs & (1u << i))
                append(o, " %u", i);
        o += '\n';
        for (const GuestOutput& sc : g.screens)
            append(o, "    output %u \"%s\" %ux%u@%u.%03u Hz\n", sc.output,
                   printable(screen_name(sc)).c_str(), sc.width, sc.height, sc.refresh_mhz / 1000,
                   sc.refresh_mhz % 1000);
    }
    o += "buffers:\n";
    for (const auto& g : s.guests)
        for (const auto& b : g.buffers)
            append(o, "  %s %" PRIu64 " bytes %s %ux%u holders %u\n", id_hex(b.id).c_str(), b.size,
                   fmt_name(b.fourcc).c_str(), b.width, b.height, b.holders);
    append(o, "consumers: %zu\n", s.consumers.size());
    for (const auto& c : s.consumers)
        append(o, "  consumer %u %s filter %s held %zu queued %zu\n", c.id, role_name(c.role),
               filter_text(c.output, c.guest_filter).c_str(), c.held, c.queued);
    return o;
}

std::string stats_json(const StatsSnapshot& s) {
    const HubCounters& d = s.daemon;
    std::string o = "{\"daemon\":{";
    append(o, "\"exports\":%" PRIu64 ",\"unexports\":%" PRIu64 ",\"presents\":%" PRIu64, d.exports,
           d.unexports, d.presents);
    o += ",\"releases\":{";
    for (int r = 0; r < 4; ++r)
        append(o, "%s\"%s\":%" PRIu64, r ? "," : "", kReleaseNames[r], d.releases[r]);
    o += "},\"errors\":{";
    for (int e = 0; e < 16; ++e)
        append(o, "%s\"%s\":%" PRIu64, e ? "," : "", kDeviceErrorNames[e], s.guest_totals.errors[e]);
    const GuestCounters& t = s.guest_totals;
    append(o, "},\"retired\":%" PRIu64, t.retired);
    append(o, ",\"bad_chains\":%" PRIu64 ",\"broken_queues\":%" PRIu64
              ",\"bad_vhost_messages\":%" PRIu64 ",\"events_dropped\":%" PRIu64
              ",\"kicks\":%" PRIu64 ",\"empty_kicks\":%" PRIu64 ",\"ctrlq_yields\":%" PRIu64
              ",\"timeouts\":%" PRIu64 ",\"coalesced\":%" PRIu64,
           t.bad_chains, t.broken_queues, t.bad_vhost_messages, t.events_dropped, t.kicks,
           t.empty_kicks, t.ctrlq_yields, d.timeouts, d.coalesced);
    o += ",\"consumer_errors\":{";
    for (int e = 1; e < kConsumerErrorSlots; ++e)
        append(o, "%s\"%s\":%" PRIu64, e > 1 ? "," : "", kConsumerErrorNames[e], d.consumer_errors[e]);
    append(o, "},\"consumers_accepted\":%" PRIu64 ",\"consumers_refused\":%" PRIu64
              ",\"guests_refused\":%" PRIu64 ",\"accept_pauses\":%" PRIu64,
           d.consumers_accepted, d.consumers_refused, d.guests_refused, d.accept_pauses);
    append(o, ",\"outputs\":%" PRIu64 ",\"cursor_images\":%" PRIu64 ",\"cursor_moves\":%" PRIu64
              ",\"cursor_moves_coalesced\":%" PRIu64 ",\"leaves_sent\":%" PRIu64,
           d.outputs, d.cursor_images, d.cursor_moves, d.cursor_moves_coalesced, d.leaves_sent);
    o += ",\"guest_events\":{";
    for (int e = 0; e < 4; ++e)
        append(o, "%s\"%s\":%" PRIu64, e ? "," : "", kGuestEventNames[e], d.guest_events[e]);
    append(o, "},\"motion_coalesced\":%" PRIu64 ",\"host_events_overflow\":%" PRIu64 "}",
           s.guest_totals.motion_coalesced, s.guest_totals.events_overflow);
    append(o, ",\"import_mode\":\"%s\",\"heap_allocations\":%" PRIu64 ",\"rss_bytes\":%" PRIu64,
           s.import_mode == VDMABUF_IMPORT_DMABUF ? "dmabuf" : "memfd", s.heap_allocations, s.rss_bytes);
    append(o, ",\"busy_poll\":{\"budget_us\":%u,\"spins\":%" PRIu64 ",\"found\":%" PRIu64
              ",\"crowded\":%" PRIu64 "}",
           s.busy_poll_us, s.busy_poll.spins, s.busy_poll.found, s.busy_poll.crowded);
    o += ",\"latency_us\":{";
    for (int i = 0; i < 3; ++i)
        append(o, "%s\"%s\":{\"samples\":%zu,\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 "}", i ? "," : "",
               s.stages[i].name, s.stages[i].samples, s.stages[i].p50_us, s.stages[i].p99_us);
    o += "},\"guests\":[";
    for (size_t g = 0; g < s.guests.size(); ++g) {
        const auto& gr = s.guests[g];
        append(o, "%s{\"id\":%u,\"name\":", g ? "," : "", gr.id);
        o += json_string(gr.name);
        append(o, ",\"buffers\":%zu,\"in_flight\":%zu,\"counters\":", gr.buffers.size(), gr.in_flight);
        guest_counters_json(o, gr.counters);
        o += '}';
    }
    o += "]}";
    return o;
}

std::string stats_text(const StatsSnapshot& s) {
    const HubCounters& d = s.daemon;
    std::string o;
    append(o, "exports %" PRIu64 ", unexports %" PRIu64 ", presents %" PRIu64 "\n", d.exports,
           d.unexports, d.presents);
    append(o, "releases: done %" PRIu64 ", no_consumer %" PRIu64 ", timeout %" PRIu64
              ", dropped %" PRIu64 "\n",
           d.releases[0], d.releases[1], d.releases[2], d.releases[3]);
    o += "guest errors:";
    bool any = false;
    for (int e = 0; e < 16; ++e)
        if (s.guest_totals.errors[e]) {
            append(o, " %s %" PRIu64, kDeviceErrorNames[e], s.guest_totals.errors[e]);
            any = true;
        }
    o += any ? "\n" : " none\n";
    const GuestCounters& t = s.guest_totals;
    append(o, "buffers retired without UNEXPORT %" PRIu64 "\n", t.retired);
    append(o, "bad chains %" PRIu64 ", broken queues %" PRIu64 ", bad vhost messages %" PRIu64
              ", events dropped %" PRIu64 ", kicks %" PRIu64 " (%" PRIu64 " empty)\n",
           t.bad_chains, t.broken_queues, t.bad_vhost_messages, t.events_dropped, t.kicks,
           t.empty_kicks);
    append(o, "timeouts %" PRIu64 ", coalesced %" PRIu64 "\n", d.timeouts, d.coalesced);
    o += "consumer errors:";
    any = false;
    for (int e = 1; e < kConsumerErrorSlots; ++e)
        if (d.consumer_errors[e]) {
            append(o, " %s %" PRIu64, kConsumerErrorNames[e], d.consumer_errors[e]);
            any = true;
        }
    o += any ? "\n" : " none\n";
    append(o, "consumers accepted %" PRIu64 ", refused %" PRIu64 "\n", d.consumers_accepted,
           d.consumers_refused);
    append(o, "guest connections refused %" PRIu64 ", accept pauses at the fd limit %" PRIu64 "\n",
           d.guests_refused, d.accept_pauses);
    append(o, "session: outputs %" PRIu64 ", cursor images %" PRIu64 ", cursor moves %" PRIu64
              " (coalesced %" PRIu64 ")\n",
           d.outputs, d.cursor_images, d.cursor_moves, d.cursor_moves_coalesced);
    append(o, "guest events: input %" PRIu64 ", keymap %" PRIu64 ", mode %" PRIu64
              ", hotplug %" PRIu64 "; motion coalesced %" PRIu64 ", overflow %" PRIu64
              ", leaves sent %" PRIu64 "\n",
           d.guest_events[0], d.guest_events[1], d.guest_events[2], d.guest_events[3],
           s.guest_totals.motion_coalesced, s.guest_totals.events_overflow, d.leaves_sent);
    append(o, "import mode: %s\n", s.import_mode == VDMABUF_IMPORT_DMABUF ? "dmabuf" : "memfd");
    append(o, "heap allocations: %" PRIu64 "\nrss: %" PRIu64 " KiB\n", s.heap_allocations,
           s.rss_bytes / 1024);
    o += "latency (us, last 4096):\n";
    for (const auto& st : s.stages)
        append(o, "  %-27s p50 %" PRIu64 " p99 %" PRIu64 " (%zu samples)\n", st.name, st.p50_us,
               st.p99_us, st.samples);
    for (const auto& g : s.guests) {
        append(o, "guest %u \"%s\": %zu buffers, %zu in flight\n", g.id, printable(g.name).c_str(),
               g.buffers.size(), g.in_flight);
        guest_counters_text(o, g.counters, "  ");
    }
    return o;
}

} // namespace

std::string id_hex(const BufferId& id) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%08x%08x%016" PRIx64, id.guest, id.counter, id.key);
    return buf;
}

std::string json_string(const std::string& s) {
    std::string o = "\"";
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            o += '\\';
            o += static_cast<char>(c);
            ++i;
        } else if (c < 0x20 || c == 0x7f) {
            append(o, "\\u%04x", c);
            ++i;
        } else if (size_t n = utf8_len(s, i); n > 0) {
            o.append(s, i, n);
            i += n;
        } else {
            o += "\\ufffd";
            ++i;
        }
    }
    o += '"';
    return o;
}

uint64_t read_rss_bytes() {
    FILE* f = std::fopen("/proc/self/statm", "re");
    if (!f)
        return 0;
    unsigned long long size = 0, resident = 0;
    int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    if (n != 2)
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    return resident * static_cast<uint64_t>(page > 0 ? page : 4096);
}

std::string render_stats(const StatsSnapshot& s, uint32_t format, uint32_t what) {
    bool json = format == VDMABUF_C_STATS_JSON;
    if (what == VDMABUF_C_WHAT_LIST)
        return json ? list_json(s) : list_text(s);
    return json ? stats_json(s) : stats_text(s);
}

} // namespace vdmabuf::backend
