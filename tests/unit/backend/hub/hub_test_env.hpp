// Test fixtures for the consumer half: a fake guest that records what the hub
// asks of it, and a raw consumer client on a SEQPACKET socketpair that writes
// packets byte by byte, so malformed ones are as easy as good ones.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <vector>

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/time.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include "hub/guest_port.hpp"
#include "hub/hub_core.hpp"
#include "vdmabuf_consumer.h"

namespace vdmabuf::backend::test {

constexpr uint32_t kXrgb8888 = 0x34325258; // 'XR24'

struct Released {
    BufferId id;
    uint64_t sequence;
    uint32_t output;
    uint32_t reason;
};

class FakeGuest final : public GuestPort {
public:
    uint64_t features_mask = 0xf; // every interactive feature
    std::vector<std::vector<uint8_t>> events; // queue_event() calls, in order

    FakeGuest(uint32_t id, std::string name) : id_(id), name_(std::move(name)) {
        releases.reserve(4096);
        refreshes.reserve(64);
        buffers_.reserve(256);
        memfd_ = UniqueFd{::memfd_create("fake-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
        EXPECT_TRUE(memfd_);
        EXPECT_EQ(::ftruncate(memfd_.get(), 256 * 16384), 0);
        // As guest memory is (QEMU's memfd backend, libvdmabuf-guest).
        EXPECT_EQ(::fcntl(memfd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    }

    uint32_t id() const override { return id_; }
    const std::string& name() const override { return name_; }
    const Buffer* find_buffer(const BufferId& id) const override {
        for (const Buffer& b : buffers_)
            if (b.id == id)
                return &b;
        return nullptr;
    }
    void for_each_buffer(const std::function<void(const Buffer&)>& fn) const override {
        for (const Buffer& b : buffers_)
            fn(b);
    }
    void release(const BufferId& id, uint64_t sequence, uint32_t output, uint32_t reason) override {
        releases.push_back({id, sequence, output, reason});
        if (id.counter < busy.size())
            busy[id.counter] = false;
    }
    void refresh(uint32_t output) override { refreshes.push_back(output); }
    uint64_t features() const override { return features_mask; }
    void queue_event(const void* event, size_t len) override {
        const auto* b = static_cast<const uint8_t*>(event);
        events.emplace_back(b, b + len);
    }
    const GuestCounters& counters() const override { return counters_; }
    size_t presentations_in_flight() const override { return 0; }

    // A 64x64 XRGB8888 buffer of 16 KiB at counter * 16 KiB in the memfd.
    const Buffer& make_buffer(uint32_t counter) {
        Buffer b;
        b.id = {id_, counter, 0x1234abcdull};
        b.fourcc = kXrgb8888;
        b.width = 64;
        b.height = 64;
        b.n_planes = 1;
        b.planes[0] = {0, 256};
        b.size = 16384;
        b.extents.push_back({memfd_.get(), uint64_t{counter} * 16384, 16384});
        buffers_.push_back(std::move(b));
        return buffers_.back();
    }
    Presentation presentation(uint32_t counter, uint64_t sequence, uint32_t output = 0) const {
        Presentation p;
        p.id = {id_, counter, 0x1234abcdull};
        p.output = output;
        p.sequence = sequence;
        p.guest_time_ns = 1000;
        p.host_time_ns = now_ns();
        return p;
    }
    size_t count(uint32_t reason) const {
        size_t n = 0;
        for (const auto& r : releases)
            n += r.reason == reason;
        return n;
    }

    std::vector<Released> releases;
    std::vector<uint32_t> refreshes;
    std::array<bool, 257> busy{}; // by counter: presented, not yet released (for tests that set it)
    GuestCounters counters_;

private:
    uint32_t id_;
    std::string name_;
    std::vector<Buffer> buffers_;
    UniqueFd memfd_;
};

using Packet = std::vector<uint8_t>;

template <class T> T as(const Packet& p) {
    T t{};
    std::memcpy(&t, p.data(), std::min(sizeof(T), p.size()));
    return t;
}

inline uint32_t type_of(const Packet& p) {
    return p.size() >= 4 ? as<vdmabuf_c_hdr>(p).type : 0;
}

// The consumer end of a socketpair whose other end the hub adopted.
class Client {
public:
    Client(HubCore& hub, int daemon_sndbuf = 0) {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        fd_ = UniqueFd{sv[0]};
        UniqueFd theirs{sv[1]};
        ::fcntl(theirs.get(), F_SETFL, O_NONBLOCK);
        if (daemon_sndbuf)
            ::setsockopt(theirs.get(), SOL_SOCKET, SO_SNDBUF, &daemon_sndbuf, sizeof(daemon_sndbuf));
        id = hub.adopt_consumer(std::move(theirs));
    }

    void send_raw(const void* data, size_t len) { ASSERT_EQ(::send(fd_.get(), data, len, 0), ssize_t(len)); }
    template <class T> void send(const T& msg) { send_raw(&msg, sizeof(msg)); }
    void send_with_fd(const void* data, size_t len, int fd) {
        iovec iov{const_cast<void*>(data), len};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        cmsghdr* cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        ASSERT_EQ(::sendmsg(fd_.get(), &msg, 0), ssize_t(len));
    }

    void hello(uint32_t role = VDMABUF_ROLE_VIEWER, uint32_t output = VDMABUF_CONSUMER_ANY,
               const char* guest = "") {
        vdmabuf_c_hello h{};
        h.hdr = {VDMABUF_C_HELLO, sizeof(h), 1};
        h.magic = VDMABUF_CONSUMER_MAGIC;
        h.version = VDMABUF_CONSUMER_VERSION;
        h.role = role;
        h.output = output;
        std::memcpy(h.guest_name, guest, std::min(std::strlen(guest), sizeof(h.guest_name)));
        send(h);
    }
    void release(const BufferId& buffer, uint64_t seq, uint64_t tag = 7) {
        vdmabuf_c_release r{};
        r.hdr = {VDMABUF_C_RELEASE, sizeof(r), tag};
        r.id = buffer.to_wire();
        r.sequence = seq;
        send(r);
    }
    void stats(uint32_t format, uint32_t what, uint64_t tag = 9) {
        vdmabuf_c_stats s{};
        s.hdr = {VDMABUF_C_STATS, sizeof(s), tag};
        s.format = format;
        s.what = what;
        send(s);
    }

    // One packet if one is waiting (fds received are kept in fds).
    std::optional<Packet> recv() {
        Packet p(VDMABUF_CONSUMER_MAX_MESSAGE);
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * VDMABUF_CONSUMER_MAX_FDS)];
        iovec iov{p.data(), p.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n <= 0)
            return std::nullopt;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    fds.emplace_back(fd);
                }
        p.resize(static_cast<size_t>(n));
        return p;
    }
    std::vector<Packet> drain() {
        std::vector<Packet> out;
        while (auto p = recv())
            out.push_back(std::move(*p));
        return out;
    }
    // Whether the daemon closed its end.
    bool closed() {
        char c;
        return ::recv(fd_.get(), &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
    }
    void close() { fd_.reset(); }
    [[nodiscard]] int raw() const { return fd_.get(); }

    uint32_t id = 0;
    std::vector<UniqueFd> fds;

private:
    UniqueFd fd_;
};

class HubTest : public ::testing::Test {
protected:
    void SetUp() override { make_hub(2000); }

    void make_hub(uint32_t timeout_ms) {
        hub_.reset();
        loop_ = EventLoop::create();
        ASSERT_TRUE(loop_);
        HubOptions opts;
        opts.release_timeout_ms = timeout_ms;
        opts.try_udmabuf = false;
        hub_ = HubCore::create(*loop_, opts);
        ASSERT_TRUE(hub_);
    }

    // Runs ready callbacks (and 0 ms timers) until nothing is left to do.
    void pump() {
        for (int idle = 0, i = 0; idle < 2 && i < 1000; ++i)
            idle = loop_->dispatch(0) == 0 ? idle + 1 : 0;
    }
    void pump_for_ms(int ms) {
        uint64_t end = now_ns() + uint64_t(ms) * 1'000'000;
        while (now_ns() < end)
            loop_->dispatch(5);
        pump();
    }
    // A viewer past its WELCOME and late-join events.
    std::unique_ptr<Client> viewer(uint32_t output = VDMABUF_CONSUMER_ANY, const char* guest = "",
                                   int sndbuf = 0) {
        auto c = std::make_unique<Client>(*hub_, sndbuf);
        c->hello(VDMABUF_ROLE_VIEWER, output, guest);
        pump();
        auto packets = c->drain();
        EXPECT_FALSE(packets.empty());
        if (!packets.empty()) {
            EXPECT_EQ(type_of(packets[0]), uint32_t(VDMABUF_C_WELCOME));
        }
        return c;
    }
    static std::vector<Packet> of_type(const std::vector<Packet>& ps, uint32_t type) {
        std::vector<Packet> out;
        for (const auto& p : ps)
            if (type_of(p) == type)
                out.push_back(p);
        return out;
    }
    static uint32_t error_code(const Packet& p) { return as<vdmabuf_c_error>(p).code; }

    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<HubCore> hub_;
};

} // namespace vdmabuf::backend::test
