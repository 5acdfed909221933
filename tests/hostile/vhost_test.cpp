// Hostile vhost-user traffic: payloads of the wrong size, oversized and truncated
// messages, a half-sent message held open, hang-ups mid-message, replies never
// read, too many fds, bad memory tables (not a memfd, unsealed, too small, wrong
// region/fd counts), ring addresses outside memory, kick and call fds that are
// not eventfds. A bad payload is refused (ack 1) and the connection stays; a
// message that breaks the framing closes only its own connection.
#include "fixture.hpp"

#include <vdmabuf/shared/time.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vdmabuf::hostile {
namespace {

constexpr uint32_t kCtrl = VDMABUF_VQ_CTRL;

UniqueFd memfd(uint64_t size, unsigned seals) {
    UniqueFd fd{::memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        return {};
    if (seals && ::fcntl(fd.get(), F_ADD_SEALS, seals) != 0)
        return {};
    return fd;
}

// SET_MEM_TABLE with the given regions and fds; the ack (0 = accepted).
std::optional<uint64_t> mem_table(RawGuest& g, std::vector<vu::MemoryRegion> regions,
                                  std::vector<int> fds, uint32_t nregions) {
    vu::MemoryTable t{};
    t.nregions = nregions;
    for (size_t i = 0; i < regions.size() && i < vu::kMaxMemRegions; ++i)
        t.regions[i] = regions[i];
    const auto size = static_cast<uint32_t>(vu::kMemoryTableHeaderSize +
                                            std::min<size_t>(regions.size(), vu::kMaxMemRegions) *
                                                sizeof(vu::MemoryRegion));
    return g.acked(vu::Request::set_mem_table, &t, size, fds);
}

vu::MemoryRegion region(uint64_t size) { return {RawGuest::kGpa, size, 0x7f0000000000ull, 0}; }

template <typename T> std::vector<uint8_t> bytes_of(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    return {p, p + sizeof v};
}

using Vhost = Hostile;

TEST_F(Vhost, PayloadOfTheWrongSize) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->negotiate());
    const uint32_t four = 0;
    auto ack = g->acked(vu::Request::set_vring_num, &four, sizeof four); // needs 8
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    const uint8_t addr[24] = {};
    ack = g->acked(vu::Request::set_vring_addr, addr, sizeof addr); // needs 40
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    ack = g->acked(static_cast<vu::Request>(77), nullptr, 0); // no such request
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    // The connection is still served.
    ASSERT_TRUE(g->send(vu::Request::get_features, nullptr, 0));
    EXPECT_TRUE(g->reply_u64(vu::Request::get_features));
    expect_log("payload of 4 bytes, expected 8");
    expect_log("request 77 not supported");
    expect_counter({"daemon", "bad_vhost_messages"}, 3);
}

TEST_F(Vhost, FeatureAndConfigAbuse) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    // Features nobody offered: refused, the connection stays.
    const uint64_t packed = vu::bit(vu::feature::kRingPacked) | vu::bit(vu::feature::kVersion1);
    auto ack = g->acked(vu::Request::set_features, &packed, sizeof packed);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    const uint64_t proto = ~uint64_t{0};
    ack = g->acked(vu::Request::set_protocol_features, &proto, sizeof proto);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    // GET_CONFIG past the 256-byte space, and with a size that disagrees with the
    // payload: a zero-length reply (failure), nothing read out of bounds.
    auto get_config = [&](vu::ConfigHeader h, uint32_t payload) -> std::optional<uint32_t> {
        uint8_t buf[sizeof h + 256] = {};
        std::memcpy(buf, &h, sizeof h);
        if (!g->send(vu::Request::get_config, buf, payload))
            return std::nullopt;
        pollfd pfd{g->sock(), POLLIN, 0};
        if (::poll(&pfd, 1, 5000) != 1)
            return std::nullopt;
        vu::Message reply;
        if (vu::recv_message(g->sock(), reply) != vu::RecvStatus::ok)
            return std::nullopt;
        return reply.hdr.size;
    };
    EXPECT_EQ(get_config({250, 16, 0}, sizeof(vu::ConfigHeader) + 16), std::optional<uint32_t>(0));
    EXPECT_EQ(get_config({0, 0xffffffffu, 0}, sizeof(vu::ConfigHeader)), std::optional<uint32_t>(0));
    EXPECT_EQ(get_config({0xfffffff0u, 32, 0}, sizeof(vu::ConfigHeader) + 32),
              std::optional<uint32_t>(0));
    EXPECT_EQ(get_config({0, 16, 0}, sizeof(vu::ConfigHeader) + 8), std::optional<uint32_t>(0));
    // A proper one still works and says what the device is.
    const auto good = get_config({0, 16, 0}, sizeof(vu::ConfigHeader) + 16);
    EXPECT_EQ(good, std::optional<uint32_t>(sizeof(vu::ConfigHeader) + 16));
    expect_log("not offered");
    expect_log("bad config request");
    expect_counter({"daemon", "bad_vhost_messages"}, 6);
}

TEST_F(Vhost, OversizedMessages) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    const vu::Header huge{uint32_t(vu::Request::get_features), vu::kVersion, 1u << 30};
    ASSERT_TRUE(g->send_bytes(&huge, sizeof huge));
    EXPECT_TRUE(g->closed_by_peer(5000));
    RawGuest* g2 = connection();
    ASSERT_TRUE(g2);
    const vu::Header page{uint32_t(vu::Request::set_config), vu::kVersion, vu::kMaxPayload + 1};
    ASSERT_TRUE(g2->send_bytes(&page, sizeof page));
    EXPECT_TRUE(g2->closed_by_peer(5000));
    RawGuest* g3 = connection();
    ASSERT_TRUE(g3);
    const vu::Header version{uint32_t(vu::Request::get_features), 0x2, 0};
    ASSERT_TRUE(g3->send_bytes(&version, sizeof version));
    EXPECT_TRUE(g3->closed_by_peer(5000));
    expect_log("payload size 1073741824 exceeds");
    expect_log("bad version flags");
    expect_counter({"daemon", "bad_vhost_messages"}, 3);
}

TEST_F(Vhost, DisconnectMidMessage) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->export_ok(1));
    ASSERT_TRUE(g->export_ok(2));
    auto ok = g->request(g->present_cmd(1, 0, 1));
    ASSERT_TRUE(ok && ok->resp.hdr.type == VDMABUF_RESP_OK);
    // A SET_VRING_ADDR header promising 40 bytes, 4 of them, then gone.
    const vu::Header hdr{uint32_t(vu::Request::set_vring_addr), vu::kVersion, 40};
    ASSERT_TRUE(g->send_bytes(&hdr, sizeof hdr));
    const uint32_t some = 0;
    ASSERT_TRUE(g->send_bytes(&some, sizeof some));
    disconnect(g);
    // And one that leaves in the middle of a header.
    RawGuest* g2 = connection();
    ASSERT_TRUE(g2);
    ASSERT_TRUE(g2->send_bytes(&hdr, 5));
    disconnect(g2);
    expect_log("peer closed mid-payload (4 of 40 bytes)");
    expect_log("peer closed mid-header (5 of 12 bytes)");
    expect_counter({"daemon", "bad_vhost_messages"}, 2);
}

TEST_F(Vhost, HalfSentMessageDoesNotStallOthers) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    const vu::Header hdr{uint32_t(vu::Request::get_features), vu::kVersion, 0};
    const auto* bytes = reinterpret_cast<const uint8_t*>(&hdr);
    ASSERT_TRUE(g->send_bytes(bytes, 5));
    // Held for 1.5 s: vdmabufd must keep serving the honest guest meanwhile (it
    // used to wait up to 2 s for the rest, with every guest stalled).
    const uint64_t before = honest().frames();
    const uint64_t until = now_ns() + 1'500'000'000ull;
    while (now_ns() < until)
        ::usleep(20000);
    EXPECT_GE(honest().frames() - before, 5u) << "frames stalled behind a half-sent message";
    // The rest, a byte at a time: the message is assembled and answered.
    for (size_t i = 5; i < sizeof hdr; ++i) {
        ASSERT_TRUE(g->send_bytes(bytes + i, 1));
        ::usleep(20000);
    }
    EXPECT_TRUE(g->reply_u64(vu::Request::get_features));
    // Then half a header and a hang-up.
    ASSERT_TRUE(g->send_bytes(bytes, 3));
    disconnect(g);
    expect_log("peer closed mid-header (3 of 12 bytes)");
    expect_counter({"daemon", "bad_vhost_messages"}, 1);
}

TEST_F(Vhost, RepliesNeverRead) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    ASSERT_EQ(::fcntl(g->sock(), F_SETFL, O_NONBLOCK), 0);
    const vu::Header hdr{uint32_t(vu::Request::get_features), vu::kVersion, 0};
    std::vector<vu::Header> burst(4096, hdr);
    bool closed = false;
    const uint64_t deadline = now_ns() + 30'000'000'000ull;
    for (int round = 0; !closed && now_ns() < deadline; ++round) {
        const ssize_t n = ::send(g->sock(), burst.data(), burst.size() * sizeof hdr, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN)
            closed = true; // EPIPE / ECONNRESET: vdmabufd hung up
        if (n < 0 && errno == EAGAIN) {
            pollfd pfd{g->sock(), POLLOUT, 0};
            (void)::poll(&pfd, 1, 20);
        }
        if (round == 20) {
            EXPECT_TRUE(honest().wait_frames(2, 10000)) << "honest frames stopped mid-flood";
        }
    }
    EXPECT_TRUE(closed || g->closed_by_peer(5000));
    expect_log("not reading its socket");
    expect_counter({"daemon", "bad_vhost_messages"}, 1);
}

TEST_F(Vhost, TooManyFds) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    std::vector<UniqueFd> owned;
    std::vector<int> fds;
    for (int i = 0; i < 12; ++i) {
        owned.push_back(memfd(4096, 0));
        fds.push_back(owned.back().get());
    }
    const uint64_t index = 0;
    const vu::Header hdr{uint32_t(vu::Request::set_vring_kick), vu::kVersion, sizeof index};
    uint8_t msg[sizeof hdr + sizeof index];
    std::memcpy(msg, &hdr, sizeof hdr);
    std::memcpy(msg + sizeof hdr, &index, sizeof index);
    ASSERT_TRUE(g->send_bytes(msg, sizeof msg, fds));
    EXPECT_TRUE(g->closed_by_peer(5000));
    expect_log("too many fds");
    expect_counter({"daemon", "bad_vhost_messages"}, 1);
}

TEST_F(Vhost, MemTableNotAMemfd) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->negotiate());
    // A plain file on a disk filesystem: it cannot be sealed, so the front-end could
    // truncate it under vdmabufd (SIGBUS on the next ring access).
    char path[] = "/var/tmp/vdmabuf-hostile-XXXXXX";
    UniqueFd file{::mkstemp(path)};
    ASSERT_TRUE(file);
    ::unlink(path);
    ASSERT_EQ(::ftruncate(file.get(), 1 << 20), 0);
    auto ack = mem_table(*g, {region(1 << 20)}, {file.get()}, 1);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    UniqueFd r{pipe_fds[0]}, w{pipe_fds[1]};
    ack = mem_table(*g, {region(1 << 20)}, {r.get()}, 1);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    // The connection recovers with a proper table.
    ack = g->send_mem_table();
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 0u);
    expect_log("not a memfd");
    expect_log("not a regular file or memfd");
    expect_counter({"daemon", "bad_vhost_messages"}, 2);
}

TEST_F(Vhost, MemTableUnsealedOrTooSmall) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->negotiate());
    UniqueFd unsealed = memfd(1 << 20, 0);
    auto ack = mem_table(*g, {region(1 << 20)}, {unsealed.get()}, 1);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    UniqueFd small = memfd(64 << 10, F_SEAL_SHRINK);
    ack = mem_table(*g, {region(1 << 20)}, {small.get()}, 1);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    // An mmap_offset + size that wraps.
    UniqueFd ok = memfd(1 << 20, F_SEAL_SHRINK);
    vu::MemoryRegion wrap = region(1 << 20);
    wrap.mmap_offset = ~uint64_t{0} - 4095;
    ack = mem_table(*g, {wrap}, {ok.get()}, 1);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    ack = g->send_mem_table();
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 0u);
    expect_log("memfd is not sealed against shrinking");
    expect_log("beyond file size");
    expect_counter({"daemon", "bad_vhost_messages"}, 3);
}

TEST_F(Vhost, MemTableWrongCounts) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->negotiate());
    UniqueFd a = memfd(1 << 20, F_SEAL_SHRINK), b = memfd(1 << 20, F_SEAL_SHRINK);
    vu::MemoryRegion second = region(1 << 20);
    second.guest_phys_addr += 1 << 20;
    second.userspace_addr += 1 << 20;
    auto expect_refused = [&](std::vector<vu::MemoryRegion> regions, std::vector<int> fds,
                              uint32_t n) {
        auto ack = mem_table(*g, std::move(regions), std::move(fds), n);
        ASSERT_TRUE(ack);
        EXPECT_EQ(*ack, 1u);
    };
    expect_refused({region(1 << 20), second}, {a.get()}, 2);         // 2 regions, 1 fd
    expect_refused({region(1 << 20)}, {a.get(), b.get()}, 1);        // 1 region, 2 fds
    expect_refused({region(1 << 20)}, {}, 1);                        // no fd at all
    expect_refused({region(1 << 20)}, {}, 9);                        // more than 8 regions
    expect_refused({region(1 << 20), region(1 << 20)}, {a.get(), b.get()}, 2); // overlapping
    auto ack = g->send_mem_table();
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 0u);
    expect_log("2 regions but 1 fds");
    expect_log("9 regions (max 8)");
    expect_log("overlaps region 0");
    expect_counter({"daemon", "bad_vhost_messages"}, 5);
}

TEST_F(Vhost, MemTableReplacedMidSession) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->export_ok(1));
    ASSERT_TRUE(g->export_ok(2));
    auto ok = g->request(g->present_cmd(1, 0, 1));
    ASSERT_TRUE(ok && ok->resp.hdr.type == VDMABUF_RESP_OK);
    // The same memory again (QEMU does this on hotplug): every buffer is retired,
    // the rings are re-translated and the session goes on.
    auto ack = g->send_mem_table();
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 0u);
    expect_error(*g, g->present_cmd(2, 0, 2), VDMABUF_RESP_ERR_INVALID_ID,
                 offsetof(vdmabuf_cmd_present, id.counter));
    EXPECT_TRUE(g->export_ok(1));
    // A table the daemon refuses leaves no memory: nothing can be exported.
    UniqueFd unsealed = memfd(1 << 20, 0);
    ack = mem_table(*g, {region(1 << 20)}, {unsealed.get()}, 1);
    ASSERT_TRUE(ack);
    EXPECT_EQ(*ack, 1u);
    expect_log("memory table replaced with 2 buffers live");
    expect_counter({"daemon", "retired"}, 3);
    expect_counter({"daemon", "bad_vhost_messages"}, 1);
}

TEST_F(Vhost, RingSetupAbuse) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->negotiate());
    ASSERT_EQ(g->send_mem_table(), std::optional<uint64_t>(0));
    auto refused = [&](vu::Request req, const void* payload, uint32_t size) {
        auto ack = g->acked(req, payload, size);
        ASSERT_TRUE(ack);
        EXPECT_EQ(*ack, 1u);
    };
    const vu::VringState bad_num{kCtrl, 100};
    refused(vu::Request::set_vring_num, &bad_num, sizeof bad_num);
    const vu::VringState bad_index{5, 64};
    refused(vu::Request::set_vring_num, &bad_index, sizeof bad_index);
    const vu::VringState num{kCtrl, RawGuest::kQueueSize};
    ASSERT_EQ(g->acked(vu::Request::set_vring_num, &num, sizeof num), std::optional<uint64_t>(0));
    const vu::VringAddr outside{kCtrl, 0, 0x1000, 0x3000, 0x2000, 0};
    refused(vu::Request::set_vring_addr, &outside, sizeof outside);
    const uint64_t base = g->uva(g->ring_gpa(kCtrl));
    const vu::VringAddr misaligned{kCtrl, 0, base + 8, base + 2048, base + 1024, 0};
    refused(vu::Request::set_vring_addr, &misaligned, sizeof misaligned);
    const vu::VringAddr past_end{kCtrl, 0, g->uva(RawGuest::kGpa + g->memory_size() - 512),
                                 base + 2048, base + 1024, 0};
    refused(vu::Request::set_vring_addr, &past_end, sizeof past_end);
    const uint64_t bad_flags = kCtrl | 0x200;
    refused(vu::Request::set_vring_call, &bad_flags, sizeof bad_flags);
    // Then the real setup still works, and so does the session.
    ASSERT_TRUE(g->setup_ring(VDMABUF_VQ_EVENT));
    ASSERT_TRUE(g->setup_ring(kCtrl));
    ASSERT_TRUE(g->hello());
    ASSERT_TRUE(g->export_ok(1));
    expect_log("invalid queue size 100");
    expect_log("vring index 5 out of range");
    expect_log("misaligned rings");
    expect_counter({"daemon", "bad_vhost_messages"}, 6);
}

TEST_F(Vhost, KickAndCallFdsThatAreNotEventfds) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    // Call fd: a pipe with a one-page buffer that nobody reads. Blocking writes to it
    // would hang vdmabufd after 512 notifications.
    int call_pipe[2];
    ASSERT_EQ(::pipe2(call_pipe, O_CLOEXEC), 0);
    UniqueFd call_r{call_pipe[0]}, call_w{call_pipe[1]};
    (void)::fcntl(call_w.get(), F_SETPIPE_SZ, 4096);
    const uint64_t index = kCtrl;
    int fd = call_w.get();
    ASSERT_EQ(g->acked(vu::Request::set_vring_call, &index, sizeof index, {&fd, 1}),
              std::optional<uint64_t>(0));
    for (int i = 0; i < 700; ++i) {
        auto r = g->request(g->unexport_cmd(1000 + i));
        ASSERT_TRUE(r) << "request " << i << " not answered";
        EXPECT_EQ(r->resp.hdr.type, uint32_t(VDMABUF_RESP_ERR_INVALID_ID));
    }
    // Kick fd: a pipe whose write end is closed at once: it hangs up forever.
    int kick_pipe[2];
    ASSERT_EQ(::pipe2(kick_pipe, O_CLOEXEC), 0);
    UniqueFd kick_r{kick_pipe[0]};
    ::close(kick_pipe[1]);
    fd = kick_r.get();
    ASSERT_EQ(g->acked(vu::Request::set_vring_kick, &index, sizeof index, {&fd, 1}),
              std::optional<uint64_t>(0));
    EXPECT_TRUE(honest().wait_frames(3, 10000)) << "a hung-up kick fd spun the daemon";
    // A proper kick fd again: the queue is served.
    fd = g->kick_fd(kCtrl);
    ASSERT_EQ(g->acked(vu::Request::set_vring_kick, &index, sizeof index, {&fd, 1}),
              std::optional<uint64_t>(0));
    auto r = g->request(g->unexport_cmd(1));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->resp.hdr.type, uint32_t(VDMABUF_RESP_ERR_INVALID_ID));
    expect_log("kick fd hung up or failed");
    expect_counter({"daemon", "bad_vhost_messages"}, 1);
    expect_counter({"daemon", "errors", "INVALID_ID"}, 701);
}

TEST_F(Vhost, CallFdThatFailsIsDroppedNotLoggedForever) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    UniqueFd readonly{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    ASSERT_TRUE(readonly);
    const uint64_t index = kCtrl;
    int fd = readonly.get();
    ASSERT_EQ(g->acked(vu::Request::set_vring_call, &index, sizeof index, {&fd, 1}),
              std::optional<uint64_t>(0));
    for (int i = 0; i < 50; ++i) {
        auto r = g->request(g->unexport_cmd(1));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->resp.hdr.type, uint32_t(VDMABUF_RESP_ERR_INVALID_ID));
    }
    // One line, not fifty.
    const std::string log = log_since(0);
    size_t lines = 0;
    for (size_t p = log.find("call fd failed"); p != std::string::npos;
         p = log.find("call fd failed", p + 1))
        ++lines;
    EXPECT_EQ(lines, 1u);
    expect_log("vring 1: call fd failed");
    expect_counter({"daemon", "bad_vhost_messages"}, 1);
}

TEST_F(Vhost, KicksOnADisabledRing) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    const vu::VringState off{kCtrl, 0};
    ASSERT_EQ(g->acked(vu::Request::set_vring_enable, &off, sizeof off), std::optional<uint64_t>(0));
    // A request posted to the disabled ring, then kicks: nothing is processed and
    // nothing spins (vdmabufd once looped forever here).
    const uint64_t req = g->request_gpa();
    const auto u = g->unexport_cmd(1);
    std::memcpy(g->host(req), &u, sizeof u);
    g->set_desc(kCtrl, 0, {req, sizeof u, virtio::kDescFNext, 1});
    g->set_desc(kCtrl, 1, {g->response_gpa(), 64, virtio::kDescFWrite, 0});
    EXPECT_FALSE(g->submit(0, 300));
    for (int i = 0; i < 1100; ++i) {
        g->kick(kCtrl);
        const uint64_t until = now_ns() + 1'000'000'000ull;
        for (;;) { // until vdmabufd read this kick
            pollfd pfd{g->kick_fd(kCtrl), POLLIN, 0};
            if (::poll(&pfd, 1, 0) == 0 || now_ns() > until)
                break;
            ::sched_yield();
        }
    }
    EXPECT_TRUE(honest().wait_frames(3, 10000));
    // Enabled again, the waiting request is answered.
    const uint16_t used = g->used_idx(kCtrl);
    const vu::VringState on{kCtrl, 1};
    ASSERT_EQ(g->acked(vu::Request::set_vring_enable, &on, sizeof on), std::optional<uint64_t>(0));
    ASSERT_TRUE(g->wait_used(kCtrl, static_cast<uint16_t>(used + 1)));
    EXPECT_EQ(g->used_elem(kCtrl, used).id, 0u);
    EXPECT_EQ(g->used_elem(kCtrl, used).len, sizeof(vdmabuf_resp));
    expect_log("kicks found no request");
    expect_counter({"daemon", "empty_kicks"}, 1000);
}

} // namespace
} // namespace vdmabuf::hostile
