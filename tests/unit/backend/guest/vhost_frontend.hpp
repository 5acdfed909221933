// Test front-end: plays QEMU (vhost-user front-end) and the guest driver at once over
// a socketpair, in the test's thread. Guest memory is one memfd mapped here at
// guest-physical kGpa; the rings live in its first pages (DriverQueue). The session
// under test runs on the same EventLoop, so every call pumps the loop until the
// device has answered.
#pragma once

#include "vdmabuf_wire.h"

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/unique_fd.hpp>
#include <vdmabuf/virtio/driver_queue.hpp>
#include <vdmabuf/virtio/memory_mapping.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <vector>

namespace vdmabuf::backend::test {

namespace vu = virtio::vhost_user;

class VhostFrontend {
public:
    static constexpr uint64_t kGpa = 0x1'0000'0000;
    static constexpr size_t kMemSize = 8 << 20;
    static constexpr uint32_t kQueueSize = 64;
    static constexpr size_t kDataStart = 64 * 1024; // past both rings

    // Creates the socketpair; `device_end` goes to GuestSession::create.
    explicit VhostFrontend(EventLoop& loop) : loop_(loop) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
            sock_.reset(sv[0]);
            device_end.reset(sv[1]);
        }
        mem_fd_.reset(::memfd_create("frontend-test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
        if (mem_fd_ && ::ftruncate(mem_fd_.get(), kMemSize) == 0 &&
            ::fcntl(mem_fd_.get(), F_ADD_SEALS, F_SEAL_SHRINK) == 0)
            map_ = virtio::MemoryMapping::map_shared(mem_fd_.get(), kMemSize);
        for (auto& q : rings_) {
            q.kick.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
            q.call.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        }
    }

    UniqueFd device_end;

    [[nodiscard]] int sock() const { return sock_.get(); }
    [[nodiscard]] uint8_t* host(uint64_t gpa) { return map_.data() + (gpa - kGpa); }
    [[nodiscard]] uint64_t uva(uint64_t gpa) { return reinterpret_cast<uint64_t>(host(gpa)); }
    [[nodiscard]] virtio::DriverQueue& queue(uint32_t i) { return rings_[i].q; }
    [[nodiscard]] int mem_fd() const { return mem_fd_.get(); }

    // Page-aligned guest-physical bytes from the data area.
    uint64_t alloc(size_t len) {
        const uint64_t gpa = kGpa + next_;
        next_ += (len + 4095) & ~size_t{4095};
        return gpa;
    }

    void pump(int rounds = 8) {
        for (int i = 0; i < rounds; ++i)
            loop_.dispatch(0);
    }

    // Sends one message; pumps the loop so the device handles it.
    bool send(uint32_t request, const void* payload, uint32_t size, std::span<const int> fds = {},
              uint32_t flags = vu::kVersion) {
        const vu::Header hdr{request, flags, size};
        const bool ok = vu::send_message(sock_.get(), hdr, payload, fds);
        pump();
        return ok;
    }

    // Waits (pumping the loop) for one reply message.
    std::optional<vu::Message*> reply() {
        for (int i = 0; i < 200; ++i) {
            pollfd pfd{sock_.get(), POLLIN, 0};
            if (::poll(&pfd, 1, 0) == 1) {
                if (vu::recv_message(sock_.get(), reply_) != vu::RecvStatus::ok)
                    return std::nullopt;
                return &reply_;
            }
            loop_.dispatch(5);
        }
        return std::nullopt;
    }

    std::optional<uint64_t> reply_u64() {
        auto r = reply();
        uint64_t v = 0;
        if (!r || !(*r)->read_payload(v))
            return std::nullopt;
        return v;
    }

    std::optional<uint64_t> get_u64(vu::Request req) {
        send(static_cast<uint32_t>(req), nullptr, 0);
        return reply_u64();
    }

    // Sends with NEED_REPLY and returns the ack (0 success).
    std::optional<uint64_t> send_acked(vu::Request req, const void* payload, uint32_t size,
                                       std::span<const int> fds = {}) {
        send(static_cast<uint32_t>(req), payload, size, fds, vu::kVersion | vu::kFlagNeedReply);
        return reply_u64();
    }

    void set_u64(vu::Request req, uint64_t v) { send(static_cast<uint32_t>(req), &v, sizeof v); }

    // The QEMU start sequence: features (plus VDMABUF_F_* device_features),
    // memory table, both rings, enable.
    // init false: what QEMU sends a restarted back-end at the next device start
    // (no GET_FEATURES, protocol features or SET_OWNER; docs/qemu.md §11).
    void handshake(bool event_idx = true, uint64_t device_features = 0, bool init = true) {
        uint64_t want = vu::bit(vu::feature::kVersion1) | vu::bit(vu::feature::kProtocolFeatures) |
                        vu::bit(vu::feature::kIndirectDesc) |
                        (event_idx ? vu::bit(vu::feature::kEventIdx) : 0) | device_features;
        if (init) {
            auto features = get_u64(vu::Request::get_features);
            ASSERT_TRUE(features);
            ASSERT_EQ(*features & want, want);
        }
        set_u64(vu::Request::set_features, want);
        if (init) {
            auto proto = get_u64(vu::Request::get_protocol_features);
            ASSERT_TRUE(proto);
            set_u64(vu::Request::set_protocol_features, *proto);
            send(static_cast<uint32_t>(vu::Request::set_owner), nullptr, 0);
        }
        auto ack = send_mem_table();
        ASSERT_TRUE(ack);
        ASSERT_EQ(*ack, 0u);

        size_t offset = 0;
        for (uint32_t i = 0; i < 2; ++i) {
            Ring& r = rings_[i];
            ASSERT_TRUE(r.q.init(map_.data() + offset, kGpa + offset, kQueueSize, event_idx));
            ring_gpa[i] = kGpa + offset;
            offset += virtio::DriverQueue::layout_size(kQueueSize, event_idx);
            vu::VringState num{i, kQueueSize};
            send(static_cast<uint32_t>(vu::Request::set_vring_num), &num, sizeof num);
            vu::VringState base{i, 0};
            send(static_cast<uint32_t>(vu::Request::set_vring_base), &base, sizeof base);
            vu::VringAddr addr{i, 0, reinterpret_cast<uint64_t>(r.q.desc_addr()),
                               reinterpret_cast<uint64_t>(r.q.used_addr()),
                               reinterpret_cast<uint64_t>(r.q.avail_addr()), 0};
            auto a = send_acked(vu::Request::set_vring_addr, &addr, sizeof addr);
            ASSERT_TRUE(a);
            ASSERT_EQ(*a, 0u);
            uint64_t idx = i;
            int kick = r.kick.get();
            int call = r.call.get();
            send(static_cast<uint32_t>(vu::Request::set_vring_kick), &idx, sizeof idx, {&kick, 1});
            send(static_cast<uint32_t>(vu::Request::set_vring_call), &idx, sizeof idx, {&call, 1});
            vu::VringState en{i, 1};
            a = send_acked(vu::Request::set_vring_enable, &en, sizeof en);
            ASSERT_TRUE(a);
            ASSERT_EQ(*a, 0u);
        }
        ASSERT_LE(offset, kDataStart);
    }

    std::optional<uint64_t> send_mem_table() {
        vu::MemoryTable t{};
        t.nregions = 1;
        t.regions[0] = {kGpa, kMemSize, reinterpret_cast<uint64_t>(map_.data()), 0};
        int fd = mem_fd_.get();
        return send_acked(vu::Request::set_mem_table, &t,
                          static_cast<uint32_t>(vu::kMemoryTableHeaderSize + sizeof(vu::MemoryRegion)),
                          {&fd, 1});
    }

    // Publishes a chain, kicks when the device asked for it, then runs `pump_rounds`
    // loop turns (0: none, e.g. from inside a device callback).
    bool post(uint32_t q, std::span<const virtio::Segment> segs, uint32_t token,
              int pump_rounds = 8) {
        Ring& r = rings_[q];
        if (!r.q.add(segs, token))
            return false;
        r.q.publish();
        if (r.q.kick_needed()) {
            const uint64_t one = 1;
            if (::write(r.kick.get(), &one, sizeof one) != sizeof one)
                return false;
        }
        pump(pump_rounds);
        return true;
    }

    // Sends one ctrl request (copied into guest memory) and returns the used length;
    // the response is copied into `resp`.
    std::optional<uint32_t> ctrl(const void* req, size_t len, void* resp, size_t resp_len = 64) {
        const uint64_t req_gpa = alloc(len);
        const uint64_t resp_gpa = alloc(resp_len);
        std::memcpy(host(req_gpa), req, len);
        std::memset(host(resp_gpa), 0xee, resp_len);
        const virtio::Segment segs[] = {{req_gpa, static_cast<uint32_t>(len), false},
                                        {resp_gpa, static_cast<uint32_t>(resp_len), true}};
        if (!post(VDMABUF_VQ_CTRL, segs, ++token_))
            return std::nullopt;
        uint32_t token = 0, used = 0;
        if (!queue(VDMABUF_VQ_CTRL).get_used(token, used) || token != token_)
            return std::nullopt;
        std::memcpy(resp, host(resp_gpa), std::min<size_t>(used, resp_len));
        return used;
    }

    template <typename Req>
    std::optional<vdmabuf_resp> ctrl_resp(const Req& req) {
        vdmabuf_resp r{};
        uint8_t buf[64];
        auto used = ctrl(&req, sizeof req, buf);
        if (!used || *used < sizeof r)
            return std::nullopt;
        std::memcpy(&r, buf, sizeof r);
        return r;
    }

    // Posts `n` eventq buffers of `len` writable bytes.
    void post_event_buffers(uint32_t n, uint32_t len = 64) {
        for (uint32_t i = 0; i < n; ++i) {
            const uint64_t gpa = alloc(len);
            const virtio::Segment seg{gpa, len, true};
            ASSERT_TRUE(post(VDMABUF_VQ_EVENT, {&seg, 1}, static_cast<uint32_t>(gpa - kGpa)));
        }
    }

    // Reaps one used eventq buffer: its bytes (used length long).
    std::optional<std::vector<uint8_t>> next_event() {
        pump();
        uint32_t token = 0, used = 0;
        if (!queue(VDMABUF_VQ_EVENT).get_used(token, used))
            return std::nullopt;
        const uint8_t* p = host(kGpa + token);
        return std::vector<uint8_t>(p, p + used);
    }

    uint64_t ring_gpa[2] = {};

private:
    struct Ring {
        virtio::DriverQueue q;
        UniqueFd kick, call;
    };
    EventLoop& loop_;
    UniqueFd sock_;
    UniqueFd mem_fd_;
    virtio::MemoryMapping map_;
    Ring rings_[2];
    size_t next_ = kDataStart;
    uint32_t token_ = 0;
    vu::Message reply_;
};

} // namespace vdmabuf::backend::test
