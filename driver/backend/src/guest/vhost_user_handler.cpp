// The vhost-user back-end message switch (QEMU docs/interop/vhost-user.rst), for what
// QEMU 7.2+ and the virtio-user front-end send. A message with a bad payload is
// answered with failure (when a reply is expected), logged and counted, and the
// connection stays; only a message that breaks framing closes it.
#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/virtio/split_ring.hpp>


#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace vdmabuf::backend {

namespace vu = virtio::vhost_user;

namespace {

constexpr uint64_t kOfferedFeatures = vu::bit(vu::feature::kVersion1) |
                                      vu::bit(vu::feature::kEventIdx) |
                                      vu::bit(vu::feature::kIndirectDesc) |
                                      vu::bit(vu::feature::kProtocolFeatures) |
                                      // §2 device features: INPUT, MODE, CURSOR, HOTPLUG
                                      vu::bit(VDMABUF_F_INPUT) | vu::bit(VDMABUF_F_MODE) |
                                      vu::bit(VDMABUF_F_CURSOR) | vu::bit(VDMABUF_F_HOTPLUG);
// Replies never wait for a full socket: a front-end that does not read them is broken,
// and waiting would stall every other guest.
constexpr bool kNoWait = false;
constexpr uint64_t kBaseProtocolFeatures =
    vu::bit(vu::protocol_feature::kReplyAck) | vu::bit(vu::protocol_feature::kConfig);

} // namespace

void GuestSession::bad_vhost(const char* fmt, ...) {
    ++counters_.bad_vhost_messages;
    if (!should_log(counters_.bad_vhost_messages))
        return;
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    VDM_WARN("vhost-user connection %u: %s: %s", connection_,
             vu::request_name(msg_.hdr.request), text);
}

void GuestSession::reply_failed() {
    ++counters_.bad_vhost_messages;
    close_connection("cannot send a reply (front-end not reading its socket?)");
}

void GuestSession::on_socket(uint32_t /*events*/) {
    // Take the complete messages that are there; the reader reports would_block
    // between them and keeps a half-received one for the next wakeup. At most a
    // batch per wakeup: a front-end that floods its socket must not starve the
    // other guests (epoll is level-triggered, so the rest comes next round).
    constexpr int kBatch = 64;
    for (int i = 0; i < kBatch && !closed_; ++i) {
        const vu::RecvStatus st = reader_.read(sock_.get(), msg_);
        switch (st) {
        case vu::RecvStatus::ok:
            if (!handle_message())
                reply_failed();
            break;
        case vu::RecvStatus::would_block: return;
        case vu::RecvStatus::closed: close_connection("front-end closed the connection"); return;
        case vu::RecvStatus::malformed:
            ++counters_.bad_vhost_messages;
            close_connection("malformed vhost-user message");
            return;
        case vu::RecvStatus::io_error: close_connection("socket error"); return;
        }
    }
}

bool GuestSession::handle_message() {
    VDM_TRACE("vhost-user connection %u: %s (%u bytes, %u fds)", connection_,
              vu::request_name(msg_.hdr.request), msg_.hdr.size, msg_.nfds);
    note_resume();
    bool replied = false;
    const bool ok = dispatch(replied);
    bool sent = true;
    if (!replied && (msg_.hdr.flags & vu::kFlagNeedReply))
        sent = vu::send_reply_u64(sock_.get(), msg_.hdr.request, ok ? 0 : 1, kNoWait);
    msg_.clear_fds(); // fds a handler did not take
    return sent;
}

uint64_t GuestSession::offered_protocol_features() const {
    return kBaseProtocolFeatures |
           (opts_.mem_slots ? vu::bit(vu::protocol_feature::kConfigureMemSlots) : 0);
}

// QEMU (7.2 and later) does the init handshake (SET_OWNER, GET_FEATURES, the
// protocol features, GET_CONFIG) once, when the device is created. After a
// restart of vdmabufd it reconnects and, at the guest's next device start, sends
// SET_FEATURES, the rings and (without CONFIGURE_MEM_SLOTS) SET_MEM_TABLE straight
// away. Serve it as if it had accepted what this daemon offers: everything it then
// sends is still checked as usual.
void GuestSession::note_resume() {
    if (handshake_seen_ || resumed_)
        return;
    switch (static_cast<vu::Request>(msg_.hdr.request)) {
    case vu::Request::get_features:
    case vu::Request::set_owner:
    case vu::Request::get_protocol_features:
    case vu::Request::set_protocol_features:
    case vu::Request::reset_owner: handshake_seen_ = true; return;
    default: break;
    }
    resumed_ = true;
    acked_protocol_features_ = offered_protocol_features();
    owner_ = true;
    VDM_WARN("vhost-user connection %u: front-end resumed without a handshake (first "
             "message %s; vdmabufd restarted under a running VM?): assuming protocol "
             "features 0x%" PRIx64,
             connection_, vu::request_name(msg_.hdr.request), acked_protocol_features_);
}

bool GuestSession::reply_u64(uint64_t value, bool& replied) {
    replied = vu::send_reply_u64(sock_.get(), msg_.hdr.request, value, kNoWait);
    if (!replied)
        reply_failed();
    replied = true; // never add an ack after a GET_* reply
    return true;
}

bool GuestSession::vring_index(uint64_t raw, uint32_t& index) {
    if (raw >= vrings_.size()) {
        bad_vhost("vring index %" PRIu64 " out of range", raw);
        return false;
    }
    index = static_cast<uint32_t>(raw);
    return true;
}

bool GuestSession::dispatch(bool& replied) {
    uint64_t u64 = 0;
    vu::VringState state{};
    uint32_t index = 0;
    switch (static_cast<vu::Request>(msg_.hdr.request)) {
    case vu::Request::get_features: return reply_u64(kOfferedFeatures, replied);
    case vu::Request::set_features:
        if (!read_payload(u64))
            return false;
        if (u64 & ~kOfferedFeatures) {
            bad_vhost("features 0x%" PRIx64 " not offered", u64);
            return false;
        }
        acked_features_ = u64;
        return true;
    case vu::Request::get_protocol_features:
        return reply_u64(offered_protocol_features(), replied);
    case vu::Request::set_protocol_features:
        if (!read_payload(u64))
            return false;
        if (u64 & ~offered_protocol_features()) {
            bad_vhost("protocol features 0x%" PRIx64 " not offered", u64);
            return false;
        }
        acked_protocol_features_ = u64;
        return true;
    case vu::Request::set_owner: owner_ = true; return true;
    case vu::Request::reset_owner:
    case vu::Request::reset_device: reset_device("front-end reset the device"); return true;
    case vu::Request::set_mem_table: return set_mem_table();
    case vu::Request::set_vring_num:
        if (!read_payload(state) || !vring_index(state.index, index))
            return false;
        if (!virtio::is_valid_queue_size(state.num)) {
            bad_vhost("invalid queue size %u", state.num);
            return false;
        }
        vrings_[index].num = state.num;
        return true;
    case vu::Request::set_vring_addr: return set_vring_addr();
    case vu::Request::set_vring_base:
        if (!read_payload(state) || !vring_index(state.index, index))
            return false;
        if (state.num > 0xffff) {
            bad_vhost("vring base %u out of range", state.num);
            return false;
        }
        vrings_[index].queue.set_base(static_cast<uint16_t>(state.num));
        return true;
    case vu::Request::get_vring_base: return get_vring_base(replied);
    case vu::Request::set_vring_kick:
    case vu::Request::set_vring_call:
    case vu::Request::set_vring_err:
        return set_vring_fd(static_cast<vu::Request>(msg_.hdr.request));
    case vu::Request::set_vring_enable:
        if (!read_payload(state) || !vring_index(state.index, index))
            return false;
        vrings_[index].queue.enable(state.num != 0);
        on_kick(index); // buffers may already be waiting
        return true;
    case vu::Request::get_queue_num: return reply_u64(VDMABUF_NUM_QUEUES, replied);
    case vu::Request::get_config: return get_config(replied);
    case vu::Request::set_config: return true; // read-only config space: ignored (§3.3)
    case vu::Request::get_max_mem_slots: return reply_u64(vu::kMaxMemSlots, replied);
    case vu::Request::add_mem_reg: return add_mem_reg();
    case vu::Request::rem_mem_reg: return rem_mem_reg();
    case vu::Request::set_status:
        if (!read_payload(u64))
            return false;
        status_ = u64;
        return true;
    case vu::Request::get_status: return reply_u64(status_, replied);
    default:
        bad_vhost("request %u not supported", msg_.hdr.request);
        return false;
    }
}

bool GuestSession::set_mem_table() {
    vu::MemoryTable table;
    if (!vu::parse_memory_table(msg_, table)) {
        bad_vhost("invalid memory table (%u fds)", msg_.nfds);
        return false;
    }
    // Buffers reference the old regions' fds and addresses: retire them first. The
    // HELLO state stays, so the driver can export again.
    if (!table_.empty()) {
        VDM_WARN("guest %u '%s': memory table replaced with %zu buffers live; retiring them",
                 ids_.guest, name_.c_str(), table_.size());
        retire_buffers();
        events_.clear();
    }
    memory_.clear();
    VDM_INFO("vhost-user connection %u: SET_MEM_TABLE with %u regions", connection_,
             table.nregions);
    bool ok = true;
    for (uint32_t i = 0; i < table.nregions && ok; ++i)
        ok = memory_.add_region(table.regions[i], msg_.take_fd(i));
    if (!ok) {
        memory_.clear();
        bad_vhost("region rejected; guest memory is now empty");
    }
    for (uint32_t i = 0; i < vrings_.size(); ++i) {
        if (vrings_[i].have_addr)
            configure_vring(i); // re-translate the rings into the new mappings
    }
    return ok;
}

void GuestSession::reset_device(const char* why) {
    end_session(why);
    for (uint32_t i = 0; i < vrings_.size(); ++i) {
        stop_vring(i);
        vrings_[i].call.reset();
        vrings_[i].err.reset();
        vrings_[i].num = 0;
    }
    acked_features_ = 0;
    status_ = 0;
}

bool GuestSession::get_config(bool& replied) {
    struct {
        vu::ConfigHeader hdr;
        uint8_t data[vu::kMaxConfigSize];
    } reply{};
    bool ok = msg_.hdr.size >= sizeof reply.hdr;
    if (ok) {
        std::memcpy(&reply.hdr, msg_.payload, sizeof reply.hdr);
        ok = reply.hdr.size <= vu::kMaxConfigSize && reply.hdr.offset <= vu::kMaxConfigSize &&
             reply.hdr.offset + reply.hdr.size <= vu::kMaxConfigSize &&
             msg_.hdr.size == sizeof reply.hdr + reply.hdr.size;
    }
    uint32_t size = 0;
    if (ok) {
        uint8_t space[vu::kMaxConfigSize] = {}; // zero past the 16 bytes of §3.3
        const vdmabuf_config cfg{VDMABUF_MAGIC, VDMABUF_VERSION, opts_.max_buffers,
                                 VDMABUF_MAX_OUTPUTS};
        std::memcpy(space, &cfg, sizeof cfg);
        std::memcpy(reply.data, space + reply.hdr.offset, reply.hdr.size);
        size = static_cast<uint32_t>(sizeof reply.hdr) + reply.hdr.size;
    } else {
        bad_vhost("bad config request (payload %u)", msg_.hdr.size);
    }
    // A zero-length reply tells the front-end the request failed.
    const vu::Header hdr{msg_.hdr.request, vu::kVersion | vu::kFlagReply, size};
    replied = true;
    if (!vu::send_message(sock_.get(), hdr, &reply, {}, kNoWait))
        reply_failed();
    return ok;
}

} // namespace vdmabuf::backend
