// libvdmabuf-host: one connection to vdmabufd's consumer socket
// (protocols/vdmabuf-consumer.md). Single-threaded: call everything from the
// thread that polls fd().
//
// Events are delivered by dispatch(). The synchronous calls (import, stats)
// wait for their own reply; events that arrive meanwhile are queued in order
// and delivered by the next dispatch(), so wait()/poll on fd() alone can miss
// them: call dispatch() after a synchronous call, or use wait().
//
// The per-frame path (PRESENT in, RELEASE out) does not allocate.
#pragma once

#include <vdmabuf/consumer/events.hpp>
#include <vdmabuf/consumer/import.hpp>
#include <vdmabuf/shared/busy_poll.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <vdmabuf_consumer.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vdmabuf::consumer {

class PacketSocket;
class EventQueue;

class Client {
public:
    // Connects to the SOCK_SEQPACKET socket at path, sends HELLO and waits up to
    // timeout_ms for WELCOME. nullptr (logged) on failure.
    [[nodiscard]] static std::unique_ptr<Client>
    connect(const std::string& path, uint32_t role, std::string_view guest_name = {},
            uint32_t output = VDMABUF_CONSUMER_ANY, int timeout_ms = 2000);
    // The same handshake over an already connected socket (tests, socket activation).
    [[nodiscard]] static std::unique_ptr<Client>
    adopt(UniqueFd&& sock, uint32_t role, std::string_view guest_name = {},
          uint32_t output = VDMABUF_CONSUMER_ANY, int timeout_ms = 2000);
    // $XDG_RUNTIME_DIR/vdmabuf/consumer.sock, else /tmp/vdmabuf-$UID/consumer.sock.
    [[nodiscard]] static std::string default_path();

    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void set_callbacks(Callbacks callbacks);

    [[nodiscard]] int fd() const noexcept; // poll for POLLIN, then dispatch()
    // Non-blocking: delivers queued events, then every packet already readable
    // (at most a few thousand per call, so a flood cannot starve the caller).
    // Returns how many events were delivered; -1 once the daemon has gone
    // (on_disconnect is called once, after the events that preceded it).
    int dispatch();
    // True when dispatch() has something to do: queued events, a readable
    // socket or a disconnect. Waits up to timeout_ms (-1: forever). Right after
    // an event it first busy-polls (BusyPoll) for up to busy_poll_us().
    bool wait(int timeout_ms);
    // Busy-poll budget of wait() in µs, 0 = off. Starts as VDMABUF_BUSY_POLL_US,
    // else BusyPoll::kDefaultBudgetUs.
    void set_busy_poll_us(uint32_t us) noexcept { busy_.set_budget_us(us); }
    [[nodiscard]] uint32_t busy_poll_us() const noexcept { return busy_.budget_us(); }

    // Sends IMPORT and waits for its IMPORT_REPLY. nullopt (logged) on ERROR,
    // timeout, malformed reply or disconnect; last_error() then tells which ERROR.
    // flags: VDMABUF_C_IMPORT_WRITABLE asks for fds a compositor may map
    // read-write (Import::writable() says whether the daemon granted it).
    [[nodiscard]] std::optional<Import> import(const vdmabuf_id& id, int timeout_ms = 2000,
                                               uint32_t flags = 0);
    // Lets go of a held presentation. False if the request could not be sent.
    bool release(const vdmabuf_id& id, uint64_t sequence);
    // format VDMABUF_C_STATS_TEXT|JSON, what VDMABUF_C_WHAT_STATS|LIST.
    [[nodiscard]] std::optional<std::string> stats(uint32_t format, uint32_t what,
                                                   int timeout_ms = 2000);

    // Device events for one guest (GUEST_EVENT, consumer spec §8). Each sends one
    // packet and returns false if it could not be sent (or the arguments cannot be
    // encoded); the daemon answers only failures, through on_error (UNKNOWN_GUEST,
    // UNSUPPORTED when the guest did not negotiate the feature, ROLE, MALFORMED).
    // INPUT (viewer only): kind is enum vdmabuf_input_kind, a..d as device spec §8.3;
    // stamped with CLOCK_MONOTONIC. Allocation-free.
    bool send_input(uint32_t guest, uint32_t output, uint32_t kind, uint32_t a = 0,
                    uint32_t b = 0, uint32_t c = 0, uint32_t d = 0);
    // KEYMAP (viewer only): xkb RMLVO layout and variant, each < 24 bytes.
    bool send_keymap(uint32_t guest, std::string_view layout, std::string_view variant);
    // MODE: ask the guest to give an output this size (refresh 0: its choice).
    bool request_mode(uint32_t guest, uint32_t output, uint32_t width, uint32_t height,
                      uint32_t refresh_mhz = 0);
    // HOTPLUG: ask the guest to add (connected, with a size) or remove an output.
    bool request_hotplug(uint32_t guest, uint32_t output, bool connected, uint32_t width = 0,
                         uint32_t height = 0, uint32_t refresh_mhz = 0);

    [[nodiscard]] uint32_t consumer_id() const noexcept { return consumer_id_; }
    [[nodiscard]] uint32_t import_mode() const noexcept { return import_mode_; }
    // How long vdmabufd lets a presentation be held before it takes it back
    // (its --release-timeout), from WELCOME; 0 when the daemon did not say.
    [[nodiscard]] uint32_t release_timeout_ms() const noexcept { return release_timeout_ms_; }
    [[nodiscard]] bool connected() const noexcept { return !disconnected_; }
    // Code of the ERROR that failed the last synchronous call; 0 if none did.
    [[nodiscard]] uint32_t last_error() const noexcept { return last_error_; }
    // Packets from the daemon dropped as malformed or ignored as unknown.
    [[nodiscard]] uint64_t dropped_packets() const noexcept { return dropped_; }

private:
    struct Pending; // the one synchronous call in flight

    Client(UniqueFd&& sock, uint32_t role);

    bool handshake(std::string_view guest_name, uint32_t output, int timeout_ms);
    // Receives until pending is answered or timeout_ms passes; events that
    // arrive meanwhile are queued, anything else dropped.
    bool await_reply(Pending& pending, int timeout_ms);
    // Handles one packet from the socket. Events are delivered now when
    // pending is null, else queued. Returns 1 handled, 0 nothing readable, -1 gone.
    int receive_one(Pending* pending, int& delivered);
    void handle_reply(Pending& pending, uint32_t type);
    void drop(uint32_t type, const char* why);
    [[nodiscard]] uint64_t next_tag() noexcept { return next_tag_++; }
    // Wraps a device event of `size` bytes into GUEST_EVENT and sends it.
    bool send_guest_event(uint32_t guest, const void* event, size_t size);

    std::unique_ptr<PacketSocket> sock_;
    std::unique_ptr<EventQueue> queue_;
    // Pixels of queued CURSOR_IMAGE events, in queue order (rare; may allocate).
    std::deque<std::vector<uint8_t>> cursor_pixels_;
    Callbacks callbacks_;
    BusyPoll busy_{BusyPoll::budget_from_env()};
    uint32_t role_;
    uint32_t consumer_id_ = 0;
    uint32_t import_mode_ = 0;
    uint32_t release_timeout_ms_ = 0;
    uint32_t last_error_ = 0;
    uint64_t next_tag_ = 1;
    uint64_t dropped_ = 0;
    bool disconnected_ = false;
    bool disconnect_reported_ = false;
};

} // namespace vdmabuf::consumer
