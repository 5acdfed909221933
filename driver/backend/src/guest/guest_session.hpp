// One guest connection of vdmabufd: the vhost-user back-end for that front-end, its
// two virtqueues (eventq, ctrlq), and the vdmabuf session on top (HELLO, buffer
// table, presentations in flight). Everything from the socket and from guest memory
// is untrusted: a bad message is answered with an error, logged (rate-limited),
// counted, and the session keeps serving; only a message that desynchronises the
// vhost-user stream closes the connection. Single-threaded, driven by the EventLoop.
//
// The implementation is split by concern: guest_session.cpp (life cycle, public
// API), vhost_user_handler.cpp (the vhost-user message switch), ctrl_handler.cpp
// (ctrlq requests), event_sender.cpp (eventq delivery), vring_handler.cpp (rings),
// mem_slots_handler.cpp (ADD/REM_MEM_REG).
#pragma once

#include "guest/buffer_table.hpp"
#include "guest/event_fifo.hpp"
#include "guest/request_validator.hpp"
#include "model.hpp"

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/unique_fd.hpp>
#include <vdmabuf/virtio/chain.hpp>
#include <vdmabuf/virtio/device_queue.hpp>
#include <vdmabuf/virtio/guest_memory.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::backend {

struct GuestOptions {
    uint32_t max_buffers = 64;
    bool mem_slots = true; // offer CONFIGURE_MEM_SLOTS
};

class GuestSession {
public:
    // Takes the accepted connection (made non-blocking here). nullptr (logged) if it
    // cannot be watched. on_closed runs once when the connection ends, after
    // hub.buffer_removed() for each live buffer and hub.guest_removed(); destroy the
    // session later, not inside the callback.
    static std::unique_ptr<GuestSession> create(UniqueFd&& sock, EventLoop& loop, Hub& hub,
                                                const GuestOptions& opts,
                                                std::function<void(GuestSession&)> on_closed);
    // A session destroyed while still connected tells the hub (buffer_removed,
    // guest_removed) but does not call on_closed.
    ~GuestSession();
    GuestSession(const GuestSession&) = delete;
    GuestSession& operator=(const GuestSession&) = delete;

    [[nodiscard]] uint32_t id() const { return ids_.guest; } // 0 before the first HELLO
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] const Buffer* find_buffer(const BufferId& id) const;
    void for_each_buffer(const std::function<void(const Buffer&)>& fn) const;
    // Queues the RELEASE event of a presentation in flight; ignored (logged) if there
    // is no such presentation. Safe from inside Hub::presented().
    void release(const BufferId& id, uint64_t sequence, uint32_t output, uint32_t reason);
    // Queues a REFRESH event (an output index or VDMABUF_OUTPUT_ALL).
    void refresh(uint32_t output);
    // The negotiated device features (bits 1 << VDMABUF_F_*).
    [[nodiscard]] uint64_t features() const;
    // Queues an interactive event (INPUT, KEYMAP, MODE, HOTPLUG) the hub validated,
    // whose feature was negotiated. In order; while the guest posts no eventq buffers
    // a MOTION may be merged into the queued one (§8.3) and, when the bounded queue
    // is full, the event is dropped (counted, logged). Never blocks.
    void queue_host_event(const void* event, size_t len);
    [[nodiscard]] const GuestCounters& counters() const { return counters_; }
    [[nodiscard]] size_t presentations_in_flight() const { return in_flight_; }

private:
    struct Vring {
        explicit Vring(virtio::DeviceQueueLimits limits) : queue(limits) {}
        virtio::DeviceQueue queue;
        UniqueFd kick;
        UniqueFd call;
        UniqueFd err;
        uint32_t num = 0;
        virtio::vhost_user::VringAddr addr{};
        bool have_addr = false;
        bool watching = false;       // kick fd registered with the loop
        bool broken_counted = false; // this breakage was counted and logged
    };

    GuestSession(UniqueFd&& sock, EventLoop& loop, Hub& hub, const GuestOptions& opts,
                 std::function<void(GuestSession&)> on_closed);

    // guest_session.cpp
    void close_connection(const char* why);
    void end_session(const char* why);  // vdmabuf level: retire buffers, forget HELLO
    void retire_buffers();
    [[nodiscard]] size_t ring_ranges(std::array<GpaRange, 6>& out) const;
    [[nodiscard]] bool should_log(uint64_t count) const { return count <= 10 || count % 1000 == 0; }

    // vhost_user_handler.cpp
    void on_socket(uint32_t events);
    [[nodiscard]] bool handle_message(); // false: the connection must close
    [[nodiscard]] bool dispatch(bool& replied);
    void note_resume(); // before dispatch: a front-end that skipped the handshake
    [[nodiscard]] uint64_t offered_protocol_features() const;
    [[nodiscard]] bool reply_u64(uint64_t value, bool& replied);
    [[nodiscard]] bool vring_index(uint64_t raw, uint32_t& index);
    [[nodiscard]] bool set_mem_table();
    [[nodiscard]] bool get_config(bool& replied);
    void reset_device(const char* why);

    // mem_slots_handler.cpp: ADD_MEM_REG / REM_MEM_REG
    [[nodiscard]] bool read_mem_reg(virtio::vhost_user::MemoryRegion& out);
    [[nodiscard]] bool add_mem_reg();
    [[nodiscard]] bool rem_mem_reg();
    void remap_vrings(); // after a region change
    // Retires the buffers with an extent in [gpa, gpa + size); returns how many.
    size_t retire_buffers_in(uint64_t gpa, uint64_t size);
    void drop_queued_releases(const std::vector<uint32_t>& counters);

    // vring_handler.cpp
    [[nodiscard]] bool set_vring_addr();
    [[nodiscard]] bool set_vring_fd(virtio::vhost_user::Request which);
    [[nodiscard]] bool get_vring_base(bool& replied);
    void configure_vring(uint32_t index);
    void watch_kick(uint32_t index);
    void stop_vring(uint32_t index);
    // Processes the ring; false when a ctrlq kick found no chain.
    bool on_kick(uint32_t index);
    void note_empty_kick();
    void notify(uint32_t index);
    void bad_vhost(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    // A reply could not be sent at once (the front-end does not read): counted, closed.
    void reply_failed();
    // The fixed-size payload of msg_, or false (counted, logged) on a size mismatch.
    template <typename T>
    [[nodiscard]] bool read_payload(T& out) {
        if (msg_.read_payload(out))
            return true;
        bad_vhost("payload of %u bytes, expected %zu", msg_.hdr.size, sizeof(T));
        return false;
    }

    // ctrl_handler.cpp
    // False when the ctrlq held no chain at all.
    bool process_ctrlq();
    // The ctrlq turn stopped at its budget: continue in the next loop turn.
    void resume_ctrlq_next_turn();
    void handle_ctrl_chain(virtio::Chain& chain);
    ValidationResult do_hello(size_t len, vdmabuf_resp_hello& resp);
    ValidationResult do_export(size_t len);
    ValidationResult do_present(size_t len, Presentation& p);
    ValidationResult do_unexport(size_t len);
    void log_request_error(uint32_t type, uint64_t tag, const ValidationResult& r);
    // session_requests.cpp: OUTPUT, CURSOR_SET, CURSOR_MOVE
    [[nodiscard]] ValidationResult validate_session_request(uint32_t type, size_t len) const;
    void apply_session_request(uint32_t type, size_t len);

    // event_sender.cpp
    // False when the FIFO was full and the event was dropped (counted, logged).
    bool queue_event(const void* event, size_t len);
    // An event was written to the eventq: a RELEASE frees its buffer for the driver.
    void delivered(const EventFifo::Event& ev);
    void flush_events();
    [[nodiscard]] bool coalesce_motion(const void* event, size_t len);
    [[nodiscard]] bool queue_broken(Vring& vr, uint32_t index);

    EventLoop& loop_;
    Hub& hub_;
    GuestOptions opts_;
    std::function<void(GuestSession&)> on_closed_;
    UniqueFd sock_;
    uint32_t connection_ = 0; // for logs before HELLO
    bool closed_ = false;

    // vhost-user state
    virtio::vhost_user::MessageReader reader_; // never waits for a half-sent message
    virtio::vhost_user::Message msg_;
    virtio::GuestMemory memory_;
    std::array<Vring, 2> vrings_;
    uint64_t acked_features_ = 0;
    uint64_t acked_protocol_features_ = 0;
    uint64_t status_ = 0;
    bool owner_ = false;
    // The front-end's first message was not part of the init handshake: it was set
    // up by an earlier vdmabufd (restarted under a running QEMU; docs/qemu.md).
    bool handshake_seen_ = false;
    bool resumed_ = false;
    bool warned_no_memory_ = false;
    uint64_t region_messages_ = 0; // ADD/REM_MEM_REG log lines are rate-limited by it

    // vdmabuf session state
    bool ready_ = false;
    // Set by a HELLO with features (§6.1): it, not the virtio bits, decides them.
    std::optional<uint64_t> hello_features_;
    SessionIds ids_;
    std::string name_;
    BufferTable table_;
    OutputSequences sequences_;
    size_t in_flight_ = 0;
    EventFifo events_;      // RELEASE, REFRESH
    EventFifo host_events_; // INPUT, KEYMAP, MODE, HOTPLUG from consumers
    bool host_frame_boundary_ = true; // the last host event delivered ended a pointer frame
    bool in_ctrl_ = false; // processing ctrlq: release() only queues
    uint64_t ctrl_resume_timer_ = 0; // resume_ctrlq_next_turn()'s timer, 0 if none
    GuestCounters counters_;
    uint64_t ignored_releases_ = 0;

    // Reserved once, reused per request.
    virtio::Chain ctrl_chain_;
    virtio::Chain event_chain_;
    std::vector<uint8_t> request_;
    std::vector<vdmabuf_extent> extents_;
    std::vector<IndexedRange> scratch_;
};

} // namespace vdmabuf::backend
