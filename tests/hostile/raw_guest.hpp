// A guest below libvdmabuf-guest, for the hostile suite: it plays the vhost-user
// front-end over vdmabufd's guest socket with its own memfd guest memory and writes
// the split rings by hand, so it can send anything: crafted descriptors, indirect
// tables, ring indices, kicks, vhost-user messages with or without fds. Every wait
// is bounded. Not thread-safe.
#pragma once

#include "vdmabuf_wire.h"

#include <vdmabuf/shared/unique_fd.hpp>
#include <vdmabuf/virtio/memory_mapping.hpp>
#include <vdmabuf/virtio/split_ring.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vdmabuf::hostile {

namespace vu = virtio::vhost_user;
using virtio::VringDesc;

struct CtrlReply {
    uint32_t used_len = 0;
    vdmabuf_resp resp{};       // valid when used_len >= 24
    vdmabuf_resp_hello hello{}; // valid for a HELLO answered OK
};

struct RawEvent {
    uint32_t type = 0;
    vdmabuf_evt_release release{}; // when type is RELEASE
};

// EXPORT request bytes: the fixed part plus its extents.
struct ExportRequest {
    vdmabuf_cmd_export cmd{};
    std::vector<vdmabuf_extent> extents;
    [[nodiscard]] std::vector<uint8_t> bytes() const;
};

class RawGuest {
public:
    static constexpr uint64_t kGpa = 0x1'0000'0000;
    static constexpr uint32_t kQueueSize = 64;
    static constexpr uint64_t kRingArea = 64 * 1024;      // both queues' rings
    static constexpr uint64_t kRequestArea = kRingArea;     // one request at a time
    static constexpr uint64_t kRequestSize = 72 * 1024;    // > VDMABUF_MAX_REQUEST_SIZE
    static constexpr uint64_t kResponseArea = kRequestArea + kRequestSize;
    static constexpr uint64_t kEventArea = kResponseArea + 4096;
    static constexpr uint32_t kEventBuffers = 32;
    static constexpr size_t kMaxBatch = 32; // two descriptors per chain
    static constexpr uint64_t kDataStart = kEventArea + 4096 * 2 + 4096;

    struct Options {
        uint64_t memory_size = 8 << 20;
        std::string name = "mallory";
        bool post_event_buffers = true; // false: a driver that never services the eventq
        uint64_t device_features = 0;   // VDMABUF_F_* bits to negotiate (must be offered)
        // Set: hello() sends the 64-byte HELLO asking for these (§6.1), else 56 bytes.
        std::optional<uint64_t> hello_features;
    };

    // Connects and creates the memory; sends nothing. nullptr on failure.
    [[nodiscard]] static std::unique_ptr<RawGuest> connect(const std::string& socket,
                                                           Options options);
    [[nodiscard]] static std::unique_ptr<RawGuest> connect(const std::string& socket) {
        return connect(socket, Options{});
    }
    // connect() + start() + hello(): a guest ready to misbehave at the vdmabuf level.
    [[nodiscard]] static std::unique_ptr<RawGuest> ready(const std::string& socket,
                                                         Options options);

    // ---- vhost-user ----
    [[nodiscard]] int sock() const { return sock_.get(); }
    [[nodiscard]] int mem_fd() const { return mem_fd_.get(); }
    [[nodiscard]] bool send(vu::Request req, const void* payload, uint32_t size,
                            std::span<const int> fds = {}, uint32_t flags = vu::kVersion);
    // Raw stream bytes (fds ride on the first byte).
    [[nodiscard]] bool send_bytes(const void* data, size_t len, std::span<const int> fds = {});
    // The u64 reply to req (GET_* or a NEED_REPLY ack), within timeout_ms.
    [[nodiscard]] std::optional<uint64_t> reply_u64(vu::Request req, int timeout_ms = 5000);
    // Sends with NEED_REPLY and returns the ack (0 = success).
    [[nodiscard]] std::optional<uint64_t> acked(vu::Request req, const void* payload,
                                                uint32_t size, std::span<const int> fds = {});
    // True if the daemon closes the connection within timeout_ms (replies are skipped).
    [[nodiscard]] bool closed_by_peer(int timeout_ms);

    // The QEMU start sequence: features (with REPLY_ACK), the memory table, both
    // rings (kick, call, enable) and kEventBuffers posted eventq buffers.
    [[nodiscard]] bool start();
    [[nodiscard]] bool negotiate();
    // SET_MEM_TABLE with this guest's memfd, acked.
    [[nodiscard]] std::optional<uint64_t> send_mem_table();
    [[nodiscard]] bool setup_ring(uint32_t q);

    // ---- vdmabuf ----
    [[nodiscard]] bool hello();
    [[nodiscard]] uint32_t guest_id() const { return guest_; }
    [[nodiscard]] uint64_t key() const { return key_; }
    // The session's features from the HELLO response.
    [[nodiscard]] uint64_t session_features() const { return session_features_; }
    [[nodiscard]] vdmabuf_id id(uint32_t counter) const { return {guest_, counter, key_}; }
    // One request in a two-descriptor chain (readable request, writable response).
    [[nodiscard]] std::optional<CtrlReply> request(const void* req, size_t len,
                                                   uint32_t resp_len = VDMABUF_RESP_SIZE);
    [[nodiscard]] std::optional<CtrlReply> request(const std::vector<uint8_t>& bytes) {
        return request(bytes.data(), bytes.size());
    }
    template <typename T> [[nodiscard]] std::optional<CtrlReply> request(const T& req) {
        return request(&req, sizeof req);
    }
    // Up to 32 requests as separate chains published together with one kick, so the
    // device takes them in one batch (in order). One reply per request; empty if any
    // did not come back.
    [[nodiscard]] std::vector<CtrlReply> request_batch(const std::vector<std::vector<uint8_t>>& reqs);
    // A valid XRGB8888 EXPORT of width x height at fresh pages of the data area.
    [[nodiscard]] ExportRequest valid_export(uint32_t counter, uint32_t width = 64,
                                             uint32_t height = 64);
    // Sends valid_export() and expects RESP_OK.
    [[nodiscard]] bool export_ok(uint32_t counter, uint32_t width = 64, uint32_t height = 64);
    [[nodiscard]] vdmabuf_cmd_present present_cmd(uint32_t counter, uint32_t output,
                                                  uint64_t sequence) const;
    [[nodiscard]] vdmabuf_cmd_unexport unexport_cmd(uint32_t counter) const;
    // Used eventq buffers since the last call, decoded; their buffers are posted again.
    [[nodiscard]] std::vector<RawEvent> take_events();
    // Waits (bounded) until `count` RELEASE events arrived; returns the RELEASEs only.
    [[nodiscard]] std::vector<RawEvent> wait_releases(size_t count, int timeout_ms = 5000);

    // ---- memory and rings by hand ----
    [[nodiscard]] uint8_t* host(uint64_t gpa) const { return map_.data() + (gpa - kGpa); }
    [[nodiscard]] uint64_t uva(uint64_t gpa) const { return reinterpret_cast<uint64_t>(host(gpa)); }
    [[nodiscard]] uint64_t memory_size() const { return size_; }
    // Page-aligned bytes of the data area (never reused).
    [[nodiscard]] uint64_t alloc(uint64_t len);
    [[nodiscard]] uint64_t ring_gpa(uint32_t q) const { return ring_gpa_[q]; }
    void set_desc(uint32_t q, uint16_t index, const VringDesc& d);
    // Puts head in the next avail slot and publishes avail->idx (release store).
    void post(uint32_t q, uint16_t head);
    // Publishes any avail->idx (a jump, a rewind).
    void set_avail_idx(uint32_t q, uint16_t idx);
    [[nodiscard]] uint16_t avail_idx(uint32_t q) const { return avail_idx_[q]; }
    void kick(uint32_t q);
    // The device asks for kicks (used->flags without NO_NOTIFY; no EVENT_IDX here).
    [[nodiscard]] bool kick_wanted(uint32_t q) const;
    [[nodiscard]] int kick_fd(uint32_t q) const { return kick_[q].get(); }
    [[nodiscard]] uint16_t used_idx(uint32_t q) const;
    [[nodiscard]] virtio::VringUsedElem used_elem(uint32_t q, uint16_t i) const;
    // Waits until the used idx of q reaches `target` (mod 2^16 distance), bounded.
    [[nodiscard]] bool wait_used(uint32_t q, uint16_t target, int timeout_ms = 5000);
    // Posts head on the ctrlq, kicks and waits for its used element: the used length.
    // nullopt if nothing came back within timeout_ms (or another head did).
    [[nodiscard]] std::optional<uint32_t> submit(uint16_t head, int timeout_ms = 5000);
    [[nodiscard]] uint64_t request_gpa() const { return kGpa + kRequestArea; }
    [[nodiscard]] uint64_t response_gpa() const { return kGpa + kResponseArea; }

private:
    RawGuest() = default;
    [[nodiscard]] uint8_t* ring_base(uint32_t q) const { return host(ring_gpa_[q]); }
    [[nodiscard]] uint8_t* avail(uint32_t q) const;
    [[nodiscard]] uint8_t* used(uint32_t q) const;
    void post_event_buffer(uint16_t head);

    UniqueFd sock_;
    UniqueFd mem_fd_;
    virtio::MemoryMapping map_;
    uint64_t size_ = 0;
    std::string name_;
    bool post_events_ = true;
    uint64_t device_features_ = 0;
    std::optional<uint64_t> hello_features_;
    uint64_t session_features_ = 0;
    UniqueFd kick_[2], call_[2];
    uint64_t ring_gpa_[2] = {};
    uint16_t avail_idx_[2] = {};
    uint16_t last_used_[2] = {};
    uint64_t next_ = kDataStart;
    uint32_t guest_ = 0;
    uint64_t key_ = 0;
    uint64_t tag_ = 1;
    vu::Message reply_;
};

} // namespace vdmabuf::hostile
