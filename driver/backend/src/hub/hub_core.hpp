// The consumer half of vdmabufd, independent of vhost-user: the consumer
// listening socket, the registry of guests and their buffers, who holds which
// presentation, release timeouts, imports and stats. Guests are GuestPorts, so
// unit tests drive it with a fake; ConsumerHub adapts real GuestSessions.
//
// Release accounting (device spec §6.3): every presentation the hub is told of
// gets exactly one guest release() unless its guest goes away first:
//   no matching viewer -> NO_CONSUMER at once; otherwise each matching viewer
//   holds it and the last one to let go decides the reason: RELEASE or
//   disconnect -> DONE, coalesced away before delivery -> DROPPED, held past
//   --release-timeout -> TIMEOUT.
// Timeouts use one periodic sweep (a timerfd, period timeout/4 capped at
// 250 ms) instead of a timer per hold: no per-frame timer bookkeeping, and a
// hold is dropped within 1.25x the timeout.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include "hub/consumer_connection.hpp"
#include "hub/guest_port.hpp"
#include "hub/holders.hpp"
#include "hub/importer.hpp"
#include "hub/latency.hpp"
#include "hub/stats.hpp"
#include "model.hpp"

namespace vdmabuf::backend {

struct HubOptions {
    uint32_t release_timeout_ms = 2000;
    bool try_udmabuf = true; // --udmabuf auto|off
    std::string udmabuf_device = "/dev/udmabuf";
    bool writable_imports = true; // --no-writable-imports: never grant VDMABUF_C_IMPORT_WRITABLE
};

class HubCore final : public ConsumerConnection::Owner {
public:
    // nullptr (logged) if the timeout timer cannot be created.
    [[nodiscard]] static std::unique_ptr<HubCore> create(EventLoop& loop, const HubOptions& opts);
    ~HubCore();
    HubCore(const HubCore&) = delete;
    HubCore& operator=(const HubCore&) = delete;

    // Listens on the consumer socket (SOCK_SEQPACKET, mode 0600), replacing a stale file.
    [[nodiscard]] bool listen(const std::string& path);
    // Takes an accepted (or test) connection; returns its consumer id, 0 if refused.
    uint32_t adopt_consumer(UniqueFd&& fd);
    // Closes consumers and the listener (unlinking it) and forgets guests
    // without releasing anything. Later guest callbacks are ignored.
    void shutdown();

    // The guest side, as Hub describes.
    void guest_added(GuestPort& guest);
    void guest_removed(GuestPort& guest);
    void buffer_added(GuestPort& guest, const Buffer& buffer);
    void buffer_removed(GuestPort& guest, const Buffer& buffer);
    void presented(GuestPort& guest, const Presentation& p);
    void connection_counters(const GuestCounters& c) { retired_ += c; }
    // Interactive session (hub_session.cpp): remembered per guest for late viewers
    // and forwarded to the viewers that watch that guest and output.
    void output_changed(GuestPort& guest, const GuestOutput& output);
    void cursor_image(GuestPort& guest, const CursorImageRef& image);
    void cursor_moved(GuestPort& guest, const CursorPosition& position);

    [[nodiscard]] const HubCounters& counters() const { return counters_; }
    // For the guest listener: accept pauses and refused connections are counted here.
    [[nodiscard]] HubCounters& listener_counters() { return counters_; }
    [[nodiscard]] size_t consumer_count() const;
    [[nodiscard]] size_t in_flight() const { return holders_.live(); }
    [[nodiscard]] uint32_t import_mode() const { return importer_->mode(); }
    [[nodiscard]] StatsSnapshot snapshot() const;
    // Drops holds older than the release timeout; the timer calls it.
    void sweep_timeouts(uint64_t now_ns);

private:
    struct Cursor {
        bool image_set = false; // a CURSOR_SET arrived
        uint32_t width = 0, height = 0, hotspot_x = 0, hotspot_y = 0;
        std::vector<uint8_t> pixels;
        bool moved = false; // a CURSOR_MOVE arrived
        int32_t x = 0, y = 0;
        bool visible = false;
    };
    struct GuestEntry {
        GuestPort* port = nullptr;
        // Buffer -> its presentation in flight (kNoRecord when none).
        std::unordered_map<BufferId, uint32_t, BufferIdHash> buffers;
        uint32_t outputs = 0; // bit per output it presented on
        std::array<GuestOutput, VDMABUF_MAX_OUTPUTS> screens{}; // last OUTPUT of each
        std::array<Cursor, VDMABUF_MAX_OUTPUTS> cursors;
        // Consumers whose last INPUT was not a LEAVE, and the output it named:
        // they owe the guest a LEAVE when they disconnect.
        SlotMask input_from = 0;
        std::array<uint8_t, kMaxConsumers> input_output{};
    };

    HubCore(EventLoop& loop, const HubOptions& opts, UniqueFd&& timer,
            std::unique_ptr<Importer> importer);

    // ConsumerConnection::Owner
    void on_hello(ConsumerConnection& c, uint64_t tag) override;
    void on_import(ConsumerConnection& c, uint64_t tag, const BufferId& id,
                   uint32_t flags) override;
    void on_release(ConsumerConnection& c, uint64_t tag, const BufferId& id,
                    uint64_t sequence) override;
    void on_stats(ConsumerConnection& c, uint64_t tag, uint32_t format, uint32_t what) override;
    void on_delivered(ConsumerConnection& c, uint32_t record) override;
    void on_guest_event(ConsumerConnection& c, uint64_t tag, uint32_t guest,
                        const uint8_t* event) override;
    void on_error(ConsumerConnection& c, uint32_t code) override;
    void on_broken(ConsumerConnection& c) override;

    void accept_consumers();
    void reap_consumers();
    // Ends slot's hold on record; the last holder releases to the guest with reason.
    void drop_hold(uint32_t record, unsigned slot, uint32_t reason);
    void finish(uint32_t record, uint32_t reason);
    // Forgets a record without a release (its buffer or guest is gone).
    void forget(uint32_t record);
    void release_now(GuestPort& guest, const Presentation& p, uint32_t reason);
    size_t release_all(unsigned slot);

    void send_guest(ConsumerConnection& c, uint32_t type, const GuestPort& guest);
    void send_buffer_new(ConsumerConnection& c, const Buffer& b);
    void send_buffer_gone(ConsumerConnection& c, const BufferId& id);
    // hub_session.cpp
    void send_output(ConsumerConnection& c, uint32_t guest, const GuestOutput& o);
    void send_cursor_image(ConsumerConnection& c, uint32_t guest, uint32_t output,
                           const CursorImageRef& image);
    void replay_session(ConsumerConnection& c, const GuestEntry& e);
    // Sends the guests a consumer was typing into an INPUT LEAVE (it disconnected).
    void leave_inputs(unsigned slot);
    template <class Fn> void for_each_viewer(Fn&& fn);
    [[nodiscard]] GuestEntry* find_guest(uint32_t id);

    EventLoop& loop_;
    HubOptions opts_;
    UniqueFd timer_; // periodic timeout sweep
    std::unique_ptr<Importer> importer_;
    UniqueFd listen_fd_;
    std::string listen_path_;

    std::unordered_map<uint32_t, GuestEntry> guests_;
    Holders holders_;
    std::array<std::unique_ptr<ConsumerConnection>, kMaxConsumers> slots_;
    SlotMask broken_ = 0; // slots waiting for reap_consumers()
    uint64_t reap_timer_ = 0;
    uint32_t next_consumer_id_ = 1;
    bool shut_down_ = false;

    HubCounters counters_;
    GuestCounters retired_; // counters of guests that left
    LatencyRing accepted_to_sent_;
    LatencyRing sent_to_release_;
    LatencyRing accepted_to_device_release_;

    // Reused for every IMPORT_REPLY.
    Importer::Result import_result_;
    std::vector<uint8_t> import_packet_;
    std::vector<uint8_t> cursor_packet_; // reused for every CURSOR_IMAGE
};

template <class Fn> void HubCore::for_each_viewer(Fn&& fn) {
    for (auto& c : slots_)
        if (c && c->is_viewer())
            fn(*c);
}

} // namespace vdmabuf::backend
