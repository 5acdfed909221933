// The daemon's guest half and consumer half as vdmabufd runs them (GuestSession
// on a real ConsumerHub and EventLoop), with the front-end, the guest RAM and a
// viewer played by the fuzz target over real sockets and memfds. One rig per
// fuzz input; everything it opened is closed when it goes away.
#pragma once

#include "guest/guest_session.hpp"
#include "hub/consumer_hub.hpp"

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/unique_fd.hpp>
#include <vdmabuf/virtio/memory_mapping.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace vdmabuf::fuzz {

class DaemonRig {
public:
    static constexpr uint64_t kGpa = 0x1'0000'0000;
    static constexpr uint64_t kUva = 0x7f00'0000'0000;
    static constexpr size_t kMemSize = 256 * 1024;

    DaemonRig();
    ~DaemonRig();
    DaemonRig(const DaemonRig&) = delete;
    DaemonRig& operator=(const DaemonRig&) = delete;

    // The session closed the vhost-user connection.
    [[nodiscard]] bool closed() const { return closed_; }
    [[nodiscard]] uint8_t* ram() { return ram_.data(); }
    [[nodiscard]] int ram_fd() const { return ram_fd_.get(); }
    [[nodiscard]] int kick_fd(uint32_t q) const { return kick_[q & 1].get(); }
    [[nodiscard]] int call_fd(uint32_t q) const { return call_[q & 1].get(); }
    [[nodiscard]] backend::GuestSession& session() { return *session_; }

    // Writes raw bytes (and fds) to the vhost-user socket; false once it is closed.
    bool send_raw(std::span<const uint8_t> bytes, std::span<const int> fds = {});
    bool send(uint32_t request, uint32_t flags, const void* payload, uint32_t size,
              std::span<const int> fds = {});
    // Reads the next reply's u64 (GET_* or a REPLY_ACK); false if none came.
    bool reply_u64(uint64_t& value);
    void kick(uint32_t q);
    // Runs the daemon's loop until it is idle, reading what the daemon sent the
    // front-end and the viewer (the viewer notes the presentations it holds).
    void pump();
    // The viewer lets go of every presentation it holds.
    void release_all();

private:
    void drain_viewer();

    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<backend::ConsumerHub> hub_;
    std::unique_ptr<backend::GuestSession> session_;
    UniqueFd sock_;   // the front-end's end of the vhost-user socket
    UniqueFd viewer_; // a VIEWER on the consumer socket
    UniqueFd ram_fd_;
    virtio::MemoryMapping ram_;
    UniqueFd kick_[2], call_[2];
    struct Held {
        vdmabuf_id id;
        uint64_t sequence;
    };
    std::vector<Held> held_;
    std::vector<uint8_t> replies_; // vhost-user bytes from the daemon not yet consumed
    bool closed_ = false;
};

} // namespace vdmabuf::fuzz
