// The vhost-user front-end messages the virtio-user driver sends (QEMU's part): feature
// negotiation, the memory table and the vring setup, in QEMU's order. Blocking; the
// caller bounds it with socket timeouts. Every refusal is logged naming the request.
#pragma once

#include <vdmabuf/virtio/vhost_user.hpp>

#include "vdmabuf_wire.h"

#include <cstdint>
#include <memory>
#include <optional>

namespace vdmabuf::frontend {

struct Negotiated {
    uint64_t features = 0;          // acked virtio features
    uint64_t protocol_features = 0; // acked protocol features
    uint64_t device_features = 0;   // acked device-specific bits (0..23)
    bool event_idx = false;
    std::optional<vdmabuf_config> config; // when the back-end offers CONFIG
    uint64_t mem_slots = 0; // GET_MAX_MEM_SLOTS when CONFIGURE_MEM_SLOTS was negotiated
};

struct RingSetup {
    uint32_t index = 0;
    uint32_t num = 0;
    uint64_t desc_uva = 0;
    uint64_t avail_uva = 0;
    uint64_t used_uva = 0;
    int kick_fd = -1;
    int call_fd = -1;
};

class VhostUserFrontend {
public:
    explicit VhostUserFrontend(int sock);

    // GET_FEATURES, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, SET_OWNER,
    // GET_CONFIG, SET_FEATURES. Requires VERSION_1; EVENT_IDX is used when offered,
    // and the device-specific bits of `device_features` that are offered. With
    // `mem_slots`, also CONFIGURE_MEM_SLOTS when offered (then GET_MAX_MEM_SLOTS).
    [[nodiscard]] bool negotiate(uint64_t device_features, bool mem_slots, Negotiated& out);
    [[nodiscard]] bool set_mem_table(const virtio::vhost_user::MemoryRegion& region, int fd);
    // ADD_MEM_REG (CONFIGURE_MEM_SLOTS negotiated): one region, one fd.
    [[nodiscard]] bool add_mem_reg(const virtio::vhost_user::MemoryRegion& region, int fd);
    // SET_VRING_NUM, _BASE 0, _ADDR, _KICK, _CALL, _ENABLE 1.
    [[nodiscard]] bool setup_ring(const RingSetup& ring);

private:
    using Request = virtio::vhost_user::Request;
    // Sends; with REPLY_ACK negotiated and `ack`, waits for a zero ack.
    [[nodiscard]] bool send(Request req, const void* payload, uint32_t size,
                            std::span<const int> fds = {}, bool ack = true);
    [[nodiscard]] bool send_u64(Request req, uint64_t value, std::span<const int> fds = {});
    [[nodiscard]] bool get_u64(Request req, uint64_t& out);
    // Receives the reply to `req` into msg_.
    [[nodiscard]] bool receive_reply(Request req);
    [[nodiscard]] bool get_config(vdmabuf_config& out);

    int sock_;
    bool reply_ack_ = false;
    std::unique_ptr<virtio::vhost_user::Message> msg_; // 4 KiB; used during open() only
};

} // namespace vdmabuf::frontend
