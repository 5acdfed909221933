// Hostile virtqueues (device spec §3.2): descriptor loops, over-long chains,
// indirect-table abuse, descriptors outside guest memory, ring indices that jump,
// heads out of range, kick storms, bad eventq buffers. A bad chain comes back with
// used length 0; a corrupt ring stops that queue until the driver resets it.
#include "fixture.hpp"

#include <vdmabuf/shared/time.hpp>

#include <poll.h>
#include <unistd.h>

namespace vdmabuf::hostile {
namespace {

using virtio::kDescFIndirect;
using virtio::kDescFNext;
using virtio::kDescFWrite;
constexpr uint32_t kCtrl = VDMABUF_VQ_CTRL;

// A valid PRESENT-sized readable part in the request area, for chains that
// would be fine but for their shape.
uint64_t put_request(RawGuest& g) {
    vdmabuf_cmd_unexport u = g.unexport_cmd(1);
    std::memcpy(g.host(g.request_gpa()), &u, sizeof u);
    return g.request_gpa();
}

// Still serving this guest: a request through a normal chain is answered.
void expect_queue_works(RawGuest& g) {
    auto r = g.request(g.unexport_cmd(999));
    ASSERT_TRUE(r) << "the ctrlq stopped answering";
    EXPECT_EQ(r->resp.hdr.type, uint32_t(VDMABUF_RESP_ERR_INVALID_ID));
}

// A well-formed request that must get no answer (the queue is broken).
void expect_no_answer(RawGuest& g) {
    const uint64_t req = put_request(g);
    g.set_desc(kCtrl, 0, {req, sizeof(vdmabuf_cmd_unexport), kDescFNext, 1});
    g.set_desc(kCtrl, 1, {g.response_gpa(), 64, kDescFWrite, 0});
    EXPECT_FALSE(g.submit(0, 500)) << "a broken queue answered";
}

using Rings = Hostile;

TEST_F(Rings, DescriptorLoops) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    const uint64_t req = put_request(*g);
    g->set_desc(kCtrl, 0, {req, 8, kDescFNext, 1});
    g->set_desc(kCtrl, 1, {req + 8, 8, kDescFNext, 0}); // 0 -> 1 -> 0 -> ...
    expect_unexecuted(g->submit(0));
    g->set_desc(kCtrl, 0, {req, 8, kDescFNext, 0}); // 0 -> 0
    expect_unexecuted(g->submit(0));
    expect_queue_works(*g);
    expect_log("chain loops");
    expect_counter({"daemon", "bad_chains"}, 2);
}

TEST_F(Rings, OverLongChains) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    const uint64_t req = put_request(*g);
    // An indirect table of 1025 entries (the limit is 1024).
    const uint64_t table = g->alloc(1025 * sizeof(VringDesc));
    for (uint16_t i = 0; i < 1025; ++i)
        virtio::ring::store_desc(g->host(table) + i * sizeof(VringDesc),
                                 {req, 1, i < 1024 ? kDescFNext : uint16_t(0),
                                  static_cast<uint16_t>(i + 1)});
    g->set_desc(kCtrl, 0, {table, 1025 * sizeof(VringDesc), kDescFIndirect, 0});
    expect_unexecuted(g->submit(0));
    // A readable part longer than the largest request (two 40000-byte descriptors).
    g->set_desc(kCtrl, 0, {req, 40000, kDescFNext, 1});
    g->set_desc(kCtrl, 1, {req, 40000, kDescFNext, 2});
    g->set_desc(kCtrl, 2, {g->response_gpa(), 64, kDescFWrite, 0});
    expect_unexecuted(g->submit(0));
    // A writable part of 1 MiB + 4 KiB.
    const uint64_t big = g->alloc((1 << 20) + 4096);
    g->set_desc(kCtrl, 0, {req, 32, kDescFNext, 1});
    g->set_desc(kCtrl, 1, {big, (1 << 20) + 4096, kDescFWrite, 0});
    expect_unexecuted(g->submit(0));
    expect_queue_works(*g);
    expect_log("bad chain at head 0");
    expect_counter({"daemon", "bad_chains"}, 3);
}

TEST_F(Rings, IndirectTableAbuse) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    const uint64_t req = put_request(*g);
    const uint64_t table = g->alloc(4096);
    auto entry = [&](uint16_t i, VringDesc d) {
        virtio::ring::store_desc(g->host(table) + i * sizeof(VringDesc), d);
    };
    // Positive control: a well-formed indirect chain is served.
    entry(0, {req, sizeof(vdmabuf_cmd_unexport), kDescFNext, 1});
    entry(1, {g->response_gpa(), 64, kDescFWrite, 0});
    g->set_desc(kCtrl, 0, {table, 2 * sizeof(VringDesc), kDescFIndirect, 0});
    auto used = g->submit(0);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, sizeof(vdmabuf_resp));
    // Nested: an indirect descriptor inside the table.
    entry(1, {table, 2 * sizeof(VringDesc), kDescFIndirect, 0});
    expect_unexecuted(g->submit(0));
    // Table length not a multiple of 16, zero, and outside guest memory.
    g->set_desc(kCtrl, 0, {table, 24, kDescFIndirect, 0});
    expect_unexecuted(g->submit(0));
    g->set_desc(kCtrl, 0, {table, 0, kDescFIndirect, 0});
    expect_unexecuted(g->submit(0));
    g->set_desc(kCtrl, 0, {0x1000, 32, kDescFIndirect, 0});
    expect_unexecuted(g->submit(0));
    // Indirect and NEXT together.
    g->set_desc(kCtrl, 0, {table, 32, kDescFIndirect | kDescFNext, 1});
    expect_unexecuted(g->submit(0));
    // A next index past the end of the table.
    entry(0, {req, 8, kDescFNext, 7});
    g->set_desc(kCtrl, 0, {table, 2 * sizeof(VringDesc), kDescFIndirect, 0});
    expect_unexecuted(g->submit(0));
    expect_queue_works(*g);
    expect_log("nested indirect table");
    expect_counter({"daemon", "bad_chains"}, 6);
}

TEST_F(Rings, ChainOrderAndResponseSpace) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    const uint64_t req = put_request(*g);
    // A readable descriptor after a writable one.
    g->set_desc(kCtrl, 0, {g->response_gpa(), 64, kDescFWrite | kDescFNext, 1});
    g->set_desc(kCtrl, 1, {req, 32, 0, 0});
    expect_unexecuted(g->submit(0));
    // Room for 16 bytes of response only: the request is not executed.
    g->set_desc(kCtrl, 0, {req, 32, kDescFNext, 1});
    g->set_desc(kCtrl, 1, {g->response_gpa(), 16, kDescFWrite, 0});
    expect_unexecuted(g->submit(0));
    // No writable part at all.
    g->set_desc(kCtrl, 0, {req, 32, 0, 0});
    expect_unexecuted(g->submit(0));
    expect_queue_works(*g);
    expect_log("returned unexecuted");
    expect_counter({"daemon", "bad_chains"}, 3);
}

TEST_F(Rings, DescriptorsOutsideGuestMemory) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    const uint64_t end = RawGuest::kGpa + g->memory_size();
    g->set_desc(kCtrl, 0, {end, 32, kDescFNext, 1});
    g->set_desc(kCtrl, 1, {g->response_gpa(), 64, kDescFWrite, 0});
    expect_unexecuted(g->submit(0));
    g->set_desc(kCtrl, 0, {end - 16, 32, kDescFNext, 1}); // straddles the end
    expect_unexecuted(g->submit(0));
    g->set_desc(kCtrl, 0, {0xfffffffffffffff0ull, 32, kDescFNext, 1}); // wraps
    expect_unexecuted(g->submit(0));
    g->set_desc(kCtrl, 0, {put_request(*g), 32, kDescFNext, 1});
    g->set_desc(kCtrl, 1, {end - 8, 64, kDescFWrite, 0}); // response past the end
    expect_unexecuted(g->submit(0));
    expect_queue_works(*g);
    expect_log("outside guest memory");
    expect_counter({"daemon", "bad_chains"}, 4);
}

// A broken ctrlq answers nothing until the driver resets it; the reset
// (GET_VRING_BASE, then the ring set up again) ends the vdmabuf session, and a
// new HELLO starts a new one.
void reset_ctrlq_and_hello(RawGuest& g) {
    const vu::VringState state{kCtrl, 0};
    ASSERT_TRUE(g.send(vu::Request::get_vring_base, &state, sizeof state));
    pollfd pfd{g.sock(), POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 5000), 1);
    vu::Message reply;
    ASSERT_EQ(vu::recv_message(g.sock(), reply), vu::RecvStatus::ok);
    const uint32_t old_guest = g.guest_id();
    ASSERT_TRUE(g.setup_ring(kCtrl));
    ASSERT_TRUE(g.hello());
    EXPECT_NE(g.guest_id(), old_guest);
    ASSERT_TRUE(g.export_ok(1));
}

TEST_F(Rings, AvailIndexJumpsAhead) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->export_ok(1)); // retired by the reset below
    const uint16_t used_before = g->used_idx(kCtrl);
    g->set_avail_idx(kCtrl, static_cast<uint16_t>(g->avail_idx(kCtrl) + RawGuest::kQueueSize + 1));
    g->kick(kCtrl);
    // Even a well-formed request now gets no answer.
    expect_no_answer(*g);
    EXPECT_EQ(g->used_idx(kCtrl), used_before);
    reset_ctrlq_and_hello(*g);
    expect_log("avail idx ran more than queue size ahead");
    expect_log("ctrlq broken");
    expect_counter({"daemon", "broken_queues"}, 1);
}

TEST_F(Rings, HeadIndexOutOfRange) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    g->post(kCtrl, 200); // the table has 64 entries
    g->kick(kCtrl);
    expect_no_answer(*g);
    reset_ctrlq_and_hello(*g);
    expect_log("avail ring head out of range");
    expect_counter({"daemon", "broken_queues"}, 1);
}

TEST_F(Rings, KickStorm) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    constexpr int kKicks = 2500;
    const uint64_t deadline = now_ns() + 60'000'000'000ull;
    int distinct = 0;
    for (int i = 0; i < kKicks && now_ns() < deadline; ++i) {
        g->kick(kCtrl);
        // Wait until vdmabufd read this kick, so each is a wakeup of its own.
        for (;;) {
            pollfd pfd{g->kick_fd(kCtrl), POLLIN, 0};
            if (::poll(&pfd, 1, 0) == 0) {
                ++distinct;
                break;
            }
            if (now_ns() >= deadline)
                break;
            ::sched_yield();
        }
        if (i == kKicks / 2) {
            EXPECT_TRUE(honest().wait_frames(2, 10000)) << "honest frames stopped mid-storm";
        }
    }
    EXPECT_EQ(distinct, kKicks);
    expect_queue_works(*g);
    expect_log("kicks found no request (kick storm?)");
    expect_counter({"daemon", "kicks"}, kKicks);
    expect_counter({"daemon", "empty_kicks"}, kKicks);
}

TEST_F(Rings, BadEventqBuffers) {
    RawGuest* g = attacker({.post_event_buffers = false});
    ASSERT_TRUE(g);
    constexpr uint32_t kEvent = VDMABUF_VQ_EVENT;
    const uint64_t ev = g->alloc(4096);
    g->set_desc(kEvent, 0, {ev, 64, 0, 0});                   // readable
    g->set_desc(kEvent, 1, {ev + 64, 16, kDescFWrite, 0});    // too short
    g->set_desc(kEvent, 2, {ev + 128, 64, kDescFWrite, 0});   // fine
    ASSERT_TRUE(g->export_ok(1));
    auto ok = g->request(g->present_cmd(1, 0, 1));
    ASSERT_TRUE(ok);
    ASSERT_EQ(ok->resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    // The RELEASE waits for a usable buffer; the bad ones come back empty first.
    for (uint16_t head = 0; head < 3; ++head)
        g->post(kEvent, head);
    g->kick(kEvent);
    ASSERT_TRUE(g->wait_used(kEvent, 3));
    EXPECT_EQ(g->used_elem(kEvent, 0).len, 0u);
    EXPECT_EQ(g->used_elem(kEvent, 1).len, 0u);
    EXPECT_EQ(g->used_elem(kEvent, 2).id, 2u);
    EXPECT_EQ(g->used_elem(kEvent, 2).len, sizeof(vdmabuf_evt_release));
    vdmabuf_evt_release rel{};
    std::memcpy(&rel, g->host(ev + 128), sizeof rel);
    EXPECT_EQ(rel.hdr.type, uint32_t(VDMABUF_EVT_RELEASE));
    EXPECT_EQ(rel.sequence, 1u);
    expect_log("eventq buffer with");
    expect_counter({"daemon", "bad_chains"}, 2);
}

} // namespace
} // namespace vdmabuf::hostile
