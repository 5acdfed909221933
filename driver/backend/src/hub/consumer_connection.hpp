// One consumer on the consumer socket: the HELLO handshake, request parsing
// with full validation (ERROR replies, connection kept), non-blocking sends
// with an outbound queue, and PRESENT coalescing per (guest, output).
// Decisions about holds and guests belong to the Owner (HubCore).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include "hub/holders.hpp"
#include "hub/out_queue.hpp"
#include "model.hpp"
#include "vdmabuf_consumer.h"

namespace vdmabuf::backend {

class ConsumerConnection {
public:
    class Owner {
    public:
        virtual void on_hello(ConsumerConnection& c, uint64_t tag) = 0;
        virtual void on_import(ConsumerConnection& c, uint64_t tag, const BufferId& id,
                               uint32_t flags) = 0;
        virtual void on_release(ConsumerConnection& c, uint64_t tag, const BufferId& id,
                                uint64_t sequence) = 0;
        virtual void on_stats(ConsumerConnection& c, uint64_t tag, uint32_t format,
                              uint32_t what) = 0;
        // GUEST_EVENT with its size and padding checked; `event` is the
        // VDMABUF_EVENT_SIZE bytes of the embedded device event.
        virtual void on_guest_event(ConsumerConnection& c, uint64_t tag, uint32_t guest,
                                    const uint8_t* event) = 0;
        // The PRESENT of record reached the socket.
        virtual void on_delivered(ConsumerConnection& c, uint32_t record) = 0;
        // An ERROR went out (for counting).
        virtual void on_error(ConsumerConnection& c, uint32_t code) = 0;
        // EOF, a send error or a protocol violation that ends the connection.
        // Never destroy c inside this call; reap it later.
        virtual void on_broken(ConsumerConnection& c) = 0;

    protected:
        ~Owner() = default;
    };

    // nullptr (logged) if the fd cannot be added to the loop.
    [[nodiscard]] static std::unique_ptr<ConsumerConnection>
    create(UniqueFd&& fd, uint32_t id, unsigned slot, EventLoop& loop, Owner& owner,
           const Holders& holders);
    ~ConsumerConnection();
    ConsumerConnection(const ConsumerConnection&) = delete;
    ConsumerConnection& operator=(const ConsumerConnection&) = delete;

    [[nodiscard]] uint32_t id() const { return id_; }
    [[nodiscard]] unsigned slot() const { return slot_; }
    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] bool broken() const { return broken_; }
    [[nodiscard]] uint32_t role() const { return role_; }
    [[nodiscard]] bool is_viewer() const { return ready_ && !broken_ && role_ == VDMABUF_ROLE_VIEWER; }
    [[nodiscard]] uint32_t output_filter() const { return output_; }
    [[nodiscard]] uint32_t hello_flags() const { return hello_flags_; }
    [[nodiscard]] const std::string& guest_filter() const { return guest_name_; }
    [[nodiscard]] bool watches_guest(const std::string& name) const;
    [[nodiscard]] bool watches(const std::string& guest_name, uint32_t output) const;

    // Sends now or queues (fds are duplicated when queued).
    void send(const void* data, size_t len, std::span<const int> fds = {});
    void send_error(uint64_t tag, uint32_t request, uint32_t code);
    // The first IMPORT that asked for writable fds: whether it got them, and why not.
    void log_writable_once(bool granted, const char* why_not);

    // Sends or queues the PRESENT of a held record. When an undelivered PRESENT
    // of the same (guest, output) was queued, it is replaced and its record is
    // returned (the caller drops that hold); else kNoRecord.
    [[nodiscard]] uint32_t push_present(uint32_t record);
    // Drops a queued PRESENT (its hold timed out or its buffer is gone).
    void cancel_present(uint32_t record);
    // Sends or queues a CURSOR_MOVE. A move of the same (guest, output) still
    // queued is superseded (the newest position is sent once); returns true then.
    bool push_cursor_move(uint32_t guest, uint32_t output, int32_t x, int32_t y, bool visible);
    // Forgets coalescing state of a guest that went away (queued moves are dropped).
    void forget_guest(uint32_t guest);

    void mark_broken(const char* why);
    [[nodiscard]] size_t queued() const { return queue_.size(); }

private:
    struct OutputState {
        uint32_t guest;
        uint32_t output;
        uint32_t queued;  // record of the undelivered PRESENT, or kNoRecord
        uint32_t dropped; // coalesced away since the last delivered one
    };

    struct CursorState {
        uint32_t guest; // 0: free entry
        uint32_t output;
        int32_t x;
        int32_t y;
        bool visible;
        bool queued; // an undelivered CURSOR_MOVE renders this state when sent
    };

    ConsumerConnection(UniqueFd&& fd, uint32_t id, unsigned slot, EventLoop& loop, Owner& owner,
                       const Holders& holders);
    int send_cursor_move(CursorState& st);

    void on_events(uint32_t events);
    void read_packets();
    // The peer shut down or went: what a recvmsg() of 0 then means.
    [[nodiscard]] bool peer_closed() const;
    void handle_packet(const uint8_t* data, size_t len, bool truncated);
    void flush();
    void want_writable(bool on);
    // 0, EAGAIN, or another errno.
    int send_packet(const void* data, size_t len, std::span<const int> fds);
    void set_send_buffer(int bytes);
    // True (and the send buffer shrunk) when the consumer has over
    // kBehindBytes unread in its socket.
    [[nodiscard]] bool behind();
    int send_present(uint32_t record, OutputState& st);
    void send_failed(int err);
    OutputState& output_state(uint32_t guest, uint32_t output);
    void protocol_error(uint64_t tag, uint32_t request, uint32_t code, const char* what);

    UniqueFd fd_;
    uint32_t id_;
    unsigned slot_;
    EventLoop& loop_;
    Owner& owner_;
    const Holders& holders_;
    OutQueue queue_;
    std::vector<OutputState> outputs_; // small; linear search
    std::vector<CursorState> cursors_; // small; linear search; indices are queue records
    bool ready_ = false;
    bool throttled_ = false;       // behind(): small send buffer until caught up
    int normal_send_buffer_ = 0; // SO_SNDBUF as set by the kernel
    bool broken_ = false;
    uint32_t hello_flags_ = 0; // VDMABUF_C_HELLO_*
    bool writable_logged_ = false;
    bool writable_armed_ = false;
    bool warned_ = false;
    uint32_t role_ = 0;
    uint32_t output_ = VDMABUF_CONSUMER_ANY;
    std::string guest_name_;
};

} // namespace vdmabuf::backend
