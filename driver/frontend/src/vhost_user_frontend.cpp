#define VDM_LOG_SCOPE "guest-vhost"
#include "vhost_user_frontend.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstring>

namespace vdmabuf::frontend {

namespace vu = virtio::vhost_user;

namespace {
const char* name_of(vu::Request req) { return vu::request_name(static_cast<uint32_t>(req)); }
} // namespace

VhostUserFrontend::VhostUserFrontend(int sock)
    : sock_(sock), msg_(std::make_unique<vu::Message>()) {}

bool VhostUserFrontend::receive_reply(Request req) {
    const vu::RecvStatus st = vu::recv_message(sock_, *msg_);
    if (st != vu::RecvStatus::ok) {
        VDM_ERROR("no reply to %s: %s", name_of(req), vu::recv_status_name(st));
        return false;
    }
    if (msg_->hdr.request != static_cast<uint32_t>(req) || !(msg_->hdr.flags & vu::kFlagReply)) {
        VDM_ERROR("reply to %s has request %u flags 0x%x", name_of(req), msg_->hdr.request,
                  msg_->hdr.flags);
        return false;
    }
    return true;
}

bool VhostUserFrontend::send(Request req, const void* payload, uint32_t size,
                             std::span<const int> fds, bool ack) {
    const bool need_reply = ack && reply_ack_;
    const vu::Header hdr{static_cast<uint32_t>(req),
                         vu::kVersion | (need_reply ? vu::kFlagNeedReply : 0), size};
    if (!vu::send_message(sock_, hdr, payload, fds)) {
        VDM_ERROR("sending %s failed", name_of(req));
        return false;
    }
    if (!need_reply)
        return true;
    uint64_t status = 0;
    if (!receive_reply(req) || !msg_->read_payload(status)) {
        VDM_ERROR("bad REPLY_ACK to %s", name_of(req));
        return false;
    }
    if (status != 0) {
        VDM_ERROR("back-end refused %s (status %llu)", name_of(req),
                  static_cast<unsigned long long>(status));
        return false;
    }
    return true;
}

bool VhostUserFrontend::send_u64(Request req, uint64_t value, std::span<const int> fds) {
    return send(req, &value, sizeof value, fds);
}

bool VhostUserFrontend::get_u64(Request req, uint64_t& out) {
    const vu::Header hdr{static_cast<uint32_t>(req), vu::kVersion, 0};
    if (!vu::send_message(sock_, hdr, nullptr) || !receive_reply(req))
        return false;
    if (!msg_->read_payload(out)) {
        VDM_ERROR("reply to %s has %u payload bytes, expected 8", name_of(req), msg_->hdr.size);
        return false;
    }
    return true;
}

bool VhostUserFrontend::get_config(vdmabuf_config& out) {
    struct {
        vu::ConfigHeader hdr;
        vdmabuf_config config;
    } payload{{0, sizeof(vdmabuf_config), 0}, {}};
    static_assert(sizeof payload == sizeof(vu::ConfigHeader) + sizeof(vdmabuf_config));
    const vu::Header hdr{static_cast<uint32_t>(Request::get_config), vu::kVersion, sizeof payload};
    if (!vu::send_message(sock_, hdr, &payload) || !receive_reply(Request::get_config))
        return false;
    if (!msg_->read_payload(payload) || payload.hdr.size != sizeof(vdmabuf_config)) {
        VDM_ERROR("GET_CONFIG reply has %u bytes", msg_->hdr.size);
        return false;
    }
    out = payload.config;
    return true;
}

bool VhostUserFrontend::negotiate(uint64_t device_features, bool mem_slots, Negotiated& out) {
    using vu::bit;
    uint64_t offered = 0;
    if (!get_u64(Request::get_features, offered))
        return false;
    if (!(offered & bit(vu::feature::kVersion1))) {
        VDM_ERROR("back-end does not offer VIRTIO_F_VERSION_1 (features 0x%llx)",
                  static_cast<unsigned long long>(offered));
        return false;
    }
    uint64_t protocol = 0;
    if (offered & bit(vu::feature::kProtocolFeatures)) {
        uint64_t proto_offered = 0;
        if (!get_u64(Request::get_protocol_features, proto_offered))
            return false;
        const uint64_t want = bit(vu::protocol_feature::kReplyAck) |
                              bit(vu::protocol_feature::kConfig) |
                              (mem_slots ? bit(vu::protocol_feature::kConfigureMemSlots) : 0);
        protocol = proto_offered & want;
        if (!send_u64(Request::set_protocol_features, protocol))
            return false;
        reply_ack_ = protocol & bit(vu::protocol_feature::kReplyAck);
    }
    if (!send(Request::set_owner, nullptr, 0))
        return false;
    if ((protocol & bit(vu::protocol_feature::kConfigureMemSlots)) &&
        !get_u64(Request::get_max_mem_slots, out.mem_slots))
        return false;
    if (protocol & bit(vu::protocol_feature::kConfig)) {
        vdmabuf_config config{};
        if (!get_config(config))
            return false;
        out.config = config;
    }
    // Device-specific bits are 0..23 (virtio 1.2 §6); an old back-end offers none.
    const uint64_t device = offered & device_features & ((1ull << 24) - 1);
    uint64_t features = bit(vu::feature::kVersion1) | device |
                        (offered & (bit(vu::feature::kEventIdx) | bit(vu::feature::kProtocolFeatures)));
    if (!send_u64(Request::set_features, features))
        return false;
    out.features = features;
    out.protocol_features = protocol;
    out.event_idx = features & bit(vu::feature::kEventIdx);
    out.device_features = device;
    return true;
}

bool VhostUserFrontend::set_mem_table(const vu::MemoryRegion& region, int fd) {
    vu::MemoryTable table{};
    table.nregions = 1;
    table.regions[0] = region;
    const int fds[1] = {fd};
    return send(Request::set_mem_table, &table,
                static_cast<uint32_t>(vu::kMemoryTableHeaderSize + sizeof(vu::MemoryRegion)), fds);
}

bool VhostUserFrontend::add_mem_reg(const vu::MemoryRegion& region, int fd) {
    const vu::SingleMemoryRegion msg{0, region};
    const int fds[1] = {fd};
    return send(Request::add_mem_reg, &msg, sizeof msg, fds);
}

bool VhostUserFrontend::setup_ring(const RingSetup& r) {
    const vu::VringState num{r.index, r.num};
    const vu::VringState base{r.index, 0};
    const vu::VringAddr addr{r.index, 0, r.desc_uva, r.used_uva, r.avail_uva, 0};
    const vu::VringState enable{r.index, 1};
    const int kick[1] = {r.kick_fd};
    const int call[1] = {r.call_fd};
    return send(Request::set_vring_num, &num, sizeof num) &&
           send(Request::set_vring_base, &base, sizeof base) &&
           send(Request::set_vring_addr, &addr, sizeof addr) &&
           send_u64(Request::set_vring_kick, r.index, kick) &&
           send_u64(Request::set_vring_call, r.index, call) &&
           send(Request::set_vring_enable, &enable, sizeof enable);
}

} // namespace vdmabuf::frontend
