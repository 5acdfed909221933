// libFuzzer target: vdmabufd's ctrlq request handling (request validator,
// buffer table, presentations, the hub and a viewer behind them) with the
// vhost-user set-up done right, so every input reaches the requests. A real
// driver-side virtqueue (DriverQueue) carries each fuzzed request into guest
// RAM and kicks; responses and events come back through the used rings.
//
// HELLO hands out a random key and a guest id the input cannot know: requests
// name them with placeholders ("KEY!KEY!" and "GST!") that are replaced with
// this session's values before they are posted.
//
// Input: u8 flags (bit 0: the target sends HELLO first; bit 1: EVENT_IDX), then
// ops, kind = op & 3:
//   0 request: u8 shape, u16 length, bytes. shape & 3: extra readable
//     segments; (shape >> 2) & 3 picks the response space (64, 24, 8, 4096).
//   1 post (op >> 2) + 1 eventq buffers;
//   2 the viewer releases every presentation it holds;
//   3 SET_MEM_TABLE again (buffers retired, rings re-translated).
#include "support/daemon_rig.hpp"
#include "support/fuzz_input.hpp"

#include <vdmabuf/virtio/driver_queue.hpp>

#include <cstdlib>
#include <cstring>

namespace {

using namespace vdmabuf;
namespace vu = virtio::vhost_user;
using fuzz::DaemonRig;

constexpr uint64_t kKeyPlaceholder = 0x21594b4521594b45; // "EKY!EKY!" little-endian
constexpr uint32_t kGuestPlaceholder = 0x21545347;       // "GST!"
constexpr uint32_t kQueueSize = 64;
constexpr size_t kRequestArea = 64 * 1024;  // request, then response
constexpr size_t kEventArea = 96 * 1024;    // 16 event buffers of 4 KiB
constexpr size_t kMaxRequest = 16 * 1024;

class Guest {
public:
    explicit Guest(bool event_idx) : event_idx_(event_idx) {}

    bool start() {
        uint64_t features = 0;
        rig_.send(static_cast<uint32_t>(vu::Request::get_features), vu::kVersion, nullptr, 0);
        if (!rig_.reply_u64(features))
            return false;
        const uint64_t want = vu::bit(vu::feature::kVersion1) | vu::bit(vu::feature::kProtocolFeatures) |
                              vu::bit(vu::feature::kIndirectDesc) | vu::bit(VDMABUF_F_INPUT) |
                              vu::bit(VDMABUF_F_MODE) | vu::bit(VDMABUF_F_CURSOR) | vu::bit(VDMABUF_F_HOTPLUG) |
                              (event_idx_ ? vu::bit(vu::feature::kEventIdx) : 0);
        set_u64(vu::Request::set_features, want & features);
        set_u64(vu::Request::set_protocol_features, vu::bit(vu::protocol_feature::kReplyAck));
        rig_.send(static_cast<uint32_t>(vu::Request::set_owner), vu::kVersion, nullptr, 0);
        if (!mem_table())
            return false;
        size_t offset = 0;
        for (uint32_t i = 0; i < 2; ++i) {
            virtio::DriverQueue& q = queues_[i];
            if (!q.init(rig_.ram() + offset, DaemonRig::kGpa + offset, kQueueSize, event_idx_))
                return false;
            offset += virtio::DriverQueue::layout_size(kQueueSize, event_idx_);
            const vu::VringState num{i, kQueueSize};
            rig_.send(static_cast<uint32_t>(vu::Request::set_vring_num), vu::kVersion, &num, sizeof num);
            const vu::VringAddr addr{i, 0, uva(q.desc_addr()), uva(q.used_addr()), uva(q.avail_addr()), 0};
            if (!acked(vu::Request::set_vring_addr, &addr, sizeof addr))
                return false;
            const uint64_t idx = i;
            const int kick = rig_.kick_fd(i), call = rig_.call_fd(i);
            rig_.send(static_cast<uint32_t>(vu::Request::set_vring_kick), vu::kVersion, &idx, sizeof idx,
                      {&kick, 1});
            rig_.send(static_cast<uint32_t>(vu::Request::set_vring_call), vu::kVersion, &idx, sizeof idx,
                      {&call, 1});
            const vu::VringState enable{i, 1};
            if (!acked(vu::Request::set_vring_enable, &enable, sizeof enable))
                return false;
        }
        return offset <= kRequestArea;
    }

    bool mem_table() {
        vu::MemoryTable t{};
        t.nregions = 1;
        t.regions[0] = {DaemonRig::kGpa, DaemonRig::kMemSize, DaemonRig::kUva, 0};
        const int fd = rig_.ram_fd();
        return acked(vu::Request::set_mem_table, &t,
                     static_cast<uint32_t>(vu::kMemoryTableHeaderSize + sizeof(vu::MemoryRegion)),
                     {&fd, 1});
    }

    void hello() {
        vdmabuf_cmd_hello h{};
        h.hdr = {VDMABUF_CMD_HELLO, 0, 1};
        h.magic = VDMABUF_MAGIC;
        h.version = VDMABUF_VERSION;
        std::memcpy(h.name, "fuzz", 4);
        request(reinterpret_cast<uint8_t*>(&h), sizeof h, 0);
    }

    // Posts one request (placeholders replaced) and reaps its response.
    void request(uint8_t* req, size_t len, uint8_t shape) {
        for (size_t i = 0; i + 8 <= len; ++i) {
            if (std::memcmp(req + i, &kKeyPlaceholder, 8) == 0)
                std::memcpy(req + i, &key_, 8);
        }
        for (size_t i = 0; i + 4 <= len; ++i) {
            if (std::memcmp(req + i, &kGuestPlaceholder, 4) == 0)
                std::memcpy(req + i, &guest_, 4);
        }
        constexpr uint32_t kRespSpace[] = {64, 24, 8, 4096};
        const uint32_t resp_len = kRespSpace[(shape >> 2) & 3];
        const size_t req_at = kRequestArea, resp_at = kRequestArea + kMaxRequest;
        std::memcpy(rig_.ram() + req_at, req, len);
        std::memset(rig_.ram() + resp_at, 0xee, resp_len);

        // The request split into 1-4 readable segments, then the response space.
        virtio::Segment segs[5];
        size_t n = 0, done = 0;
        const size_t pieces = 1 + (shape & 3);
        for (size_t p = 0; p < pieces && (done < len || n == 0); ++p) {
            const size_t piece = p + 1 == pieces ? len - done : std::min(len - done, len / pieces + 1);
            segs[n++] = {DaemonRig::kGpa + req_at + done, static_cast<uint32_t>(piece), false};
            done += piece;
        }
        segs[n++] = {DaemonRig::kGpa + resp_at, resp_len, true};
        virtio::DriverQueue& q = queues_[VDMABUF_VQ_CTRL];
        if (!q.add({segs, n}, ++token_))
            return;
        q.publish();
        if (q.kick_needed())
            rig_.kick(VDMABUF_VQ_CTRL);
        else
            rig_.pump();
        uint32_t token = 0, used = 0;
        while (q.get_used(token, used)) {
            vdmabuf_resp_hello r{};
            std::memcpy(&r, rig_.ram() + resp_at, std::min<size_t>(used, sizeof r));
            if (used >= sizeof r && r.hdr.type == VDMABUF_RESP_OK_HELLO) {
                key_ = r.key;
                guest_ = r.guest;
            }
        }
    }

    void post_events(unsigned count) {
        virtio::DriverQueue& q = queues_[VDMABUF_VQ_EVENT];
        for (unsigned i = 0; i < count; ++i) {
            const uint64_t gpa = DaemonRig::kGpa + kEventArea + (next_event_++ % 16) * 4096;
            const virtio::Segment seg{gpa, i % 3 == 2 ? 8u : 64u, true};
            if (!q.add({&seg, 1}, ++token_))
                break;
        }
        q.publish();
        if (q.kick_needed())
            rig_.kick(VDMABUF_VQ_EVENT);
        reap_events();
    }

    void reap_events() {
        rig_.pump();
        uint32_t token = 0, used = 0;
        while (queues_[VDMABUF_VQ_EVENT].get_used(token, used)) {
        }
        (void)queues_[VDMABUF_VQ_CTRL].get_used(token, used);
    }

    DaemonRig& rig() { return rig_; }

private:
    uint64_t uva(const uint8_t* p) { return DaemonRig::kUva + static_cast<uint64_t>(p - rig_.ram()); }
    void set_u64(vu::Request req, uint64_t v) {
        rig_.send(static_cast<uint32_t>(req), vu::kVersion, &v, sizeof v);
    }
    bool acked(vu::Request req, const void* payload, uint32_t size, std::span<const int> fds = {}) {
        uint64_t ack = 1;
        rig_.send(static_cast<uint32_t>(req), vu::kVersion | vu::kFlagNeedReply, payload, size, fds);
        return rig_.reply_u64(ack) && ack == 0;
    }

    DaemonRig rig_;
    bool event_idx_;
    virtio::DriverQueue queues_[2];
    uint64_t key_ = 0;
    uint32_t guest_ = 0;
    uint32_t token_ = 0;
    uint32_t next_event_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    const uint8_t flags = in.u8();
    Guest guest(flags & 2);
    if (!guest.start())
        std::abort(); // the daemon refused a correct set-up: a finding
    if (flags & 1)
        guest.hello();
    static uint8_t req[kMaxRequest];
    for (int ops = 0; ops < 128 && !in.empty() && !guest.rig().closed(); ++ops) {
        const uint8_t op = in.u8();
        switch (op & 3) {
        case 0: {
            const uint8_t shape = in.u8();
            const auto bytes = in.record();
            const size_t len = std::min(bytes.size(), kMaxRequest);
            std::memcpy(req, bytes.data(), len);
            guest.request(req, len, shape);
            break;
        }
        case 1: guest.post_events((op >> 2) + 1u); break;
        case 2: guest.rig().release_all(); break;
        default:
            if (!guest.mem_table())
                std::abort();
        }
        guest.reap_events();
    }
    return 0;
}
