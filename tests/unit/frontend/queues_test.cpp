// CtrlQueue and EventQueue against a device played by hand on the rings, including a
// hostile one: bad used ids, oversized and short lengths, used index jumps.
#include "ctrl_queue.hpp"
#include "event_queue.hpp"

#include <vdmabuf/virtio/split_ring.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace vdmabuf::frontend {
namespace {

using namespace vdmabuf::virtio;

constexpr uint64_t kBase = 0x1'0000'0000ull;
constexpr uint32_t kNum = 8;

// The device side, by hand: pops heads from the avail ring, pushes used entries.
struct HandDevice {
    uint8_t* mem;
    const DriverQueue* q;
    uint16_t last_avail = 0;
    uint16_t used_idx = 0;

    uint8_t* ptr(uint64_t gpa) const { return mem + (gpa - kBase); }
    bool pop(uint16_t& head) {
        if (ring::load16(q->avail_addr() + kAvailIdxOffset) == last_avail)
            return false;
        head = ring::load16(q->avail_addr() + kAvailRingOffset + 2 * (last_avail++ % kNum));
        return true;
    }
    VringDesc desc(uint16_t i) const { return ring::load_desc(q->desc_addr() + 16 * i); }
    void push(uint32_t id, uint32_t len) {
        uint8_t* e = q->used_addr() + kUsedRingOffset + 8 * (used_idx % kNum);
        ring::store32(e, id);
        ring::store32(e + 4, len);
        ring::store_release(q->used_addr() + kUsedIdxOffset, ++used_idx);
    }
};

class Queues : public ::testing::Test {
protected:
    static constexpr size_t kMem = 1 << 20;
    void SetUp() override {
        mem_ = static_cast<uint8_t*>(std::aligned_alloc(4096, kMem));
        std::memset(mem_, 0, kMem);
        const uint64_t ring = DriverQueue::layout_size(kNum, true);
        small_ = {mem_ + 2 * ring, kBase + 2 * ring, 4, kSmallSlotSize};
        large_ = {mem_ + 4 * 4096, kBase + 4 * 4096, 1, kLargeSlotSize};
        const uint64_t events = 4 * 4096 + kLargeSlotSize;
        ASSERT_TRUE(ctrl_.init(mem_ + ring, kBase + ring, kNum, true, small_, large_));
        ASSERT_TRUE(events_.init(mem_, kBase, kNum, true, mem_ + events, kBase + events, kNum));
        cdev_ = {mem_, &ctrl_.ring()};
        edev_ = {mem_, &events_.ring()};
    }
    void TearDown() override { std::free(mem_); }

    bool submit_present(uint64_t tag) {
        vdmabuf_cmd_present p{};
        p.hdr = {VDMABUF_CMD_PRESENT, 0, tag};
        return ctrl_.submit({{reinterpret_cast<const uint8_t*>(&p), sizeof p}, {},
                             VDMABUF_CMD_PRESENT, tag, 0, false});
    }
    // Pops one chain and answers it with `type` (length `len`).
    uint16_t answer(uint32_t type, uint32_t len = sizeof(vdmabuf_resp)) {
        uint16_t head = 0;
        EXPECT_TRUE(cdev_.pop(head));
        const VringDesc req = cdev_.desc(head);
        vdmabuf_hdr h;
        std::memcpy(&h, cdev_.ptr(req.addr), sizeof h);
        const VringDesc resp = cdev_.desc(req.next);
        EXPECT_TRUE(resp.flags & kDescFWrite);
        vdmabuf_resp r{{type, 0, h.tag}, h.type, 0};
        std::memcpy(cdev_.ptr(resp.addr), &r, sizeof r);
        cdev_.push(head, len);
        return head;
    }

    uint8_t* mem_ = nullptr;
    SlotArea small_, large_;
    CtrlQueue ctrl_;
    EventQueue events_;
    HandDevice cdev_{}, edev_{};
};

TEST_F(Queues, RequestRoundTrip) {
    ASSERT_TRUE(submit_present(77));
    EXPECT_TRUE(ctrl_.kick_needed());
    uint16_t head = 0;
    ASSERT_TRUE(cdev_.pop(head));
    const VringDesc req = cdev_.desc(head);
    EXPECT_EQ(req.len, sizeof(vdmabuf_cmd_present));
    EXPECT_FALSE(req.flags & kDescFWrite);
    cdev_.last_avail--; // answer() pops it again
    answer(VDMABUF_RESP_OK);
    CtrlCompletion c;
    ASSERT_TRUE(ctrl_.reap(c));
    EXPECT_EQ(c.response.status, ResponseStatus::ok);
    EXPECT_EQ(c.tag, 77u);
    EXPECT_EQ(c.type, uint32_t{VDMABUF_CMD_PRESENT});
    EXPECT_FALSE(ctrl_.reap(c));
    EXPECT_EQ(ctrl_.in_flight(), 0u);
}

TEST_F(Queues, SlotsRunOutWithEagain) {
    for (uint64_t t = 1; t <= 4; ++t)
        ASSERT_TRUE(submit_present(t));
    errno = 0;
    EXPECT_FALSE(submit_present(5));
    EXPECT_EQ(errno, EAGAIN);
    answer(VDMABUF_RESP_OK);
    CtrlCompletion c;
    ASSERT_TRUE(ctrl_.reap(c));
    EXPECT_TRUE(submit_present(6));
}

TEST_F(Queues, LargeRequestsUseALargeSlot) {
    std::vector<uint8_t> big(VDMABUF_MAX_REQUEST_SIZE, 0x5a);
    ASSERT_TRUE(ctrl_.submit({big, {}, VDMABUF_CMD_EXPORT, 1, 0, true}));
    uint16_t head = 0;
    ASSERT_TRUE(cdev_.pop(head));
    const VringDesc d = cdev_.desc(head);
    EXPECT_EQ(d.len, big.size());
    EXPECT_EQ(d.addr, large_.gpa);
    EXPECT_EQ(cdev_.ptr(d.addr)[big.size() - 1], 0x5a);
    errno = 0;
    EXPECT_FALSE(ctrl_.submit({big, {}, VDMABUF_CMD_EXPORT, 2, 0, true})); // one large slot
    EXPECT_EQ(errno, EAGAIN);
    std::vector<uint8_t> huge(kLargeSlotSize, 0);
    EXPECT_FALSE(ctrl_.submit({huge, {}, 0, 3, 0, true}));
    EXPECT_EQ(errno, EMSGSIZE);
    // An empty raw request is a chain with only the response part.
    ASSERT_TRUE(ctrl_.submit({{}, {}, 0, 0, 0, true}));
    ASSERT_TRUE(cdev_.pop(head));
    EXPECT_TRUE(cdev_.desc(head).flags & kDescFWrite);
}

TEST_F(Queues, BadUsedIdsAreSkipped) {
    ASSERT_TRUE(submit_present(1));
    cdev_.push(kNum + 3, 24); // out of range
    cdev_.push(5, 24);        // in range, not in flight
    CtrlCompletion c;
    EXPECT_FALSE(ctrl_.reap(c));
    EXPECT_EQ(ctrl_.ring().error_count(), 2u);
    EXPECT_FALSE(ctrl_.ring().broken());
    answer(VDMABUF_RESP_OK);
    ASSERT_TRUE(ctrl_.reap(c));
    EXPECT_EQ(c.tag, 1u);
    cdev_.push(0, 24); // the same head again: no longer in flight
    EXPECT_FALSE(ctrl_.reap(c));
    EXPECT_EQ(ctrl_.ring().error_count(), 3u);
}

TEST_F(Queues, HostileLengths) {
    ASSERT_TRUE(submit_present(1));
    ASSERT_TRUE(submit_present(2));
    answer(VDMABUF_RESP_OK, 0);        // returned unprocessed
    answer(VDMABUF_RESP_OK, 1u << 30); // claims more than the writable part
    CtrlCompletion c;
    ASSERT_TRUE(ctrl_.reap(c));
    EXPECT_EQ(c.len, 0u);
    EXPECT_EQ(c.response.status, ResponseStatus::invalid);
    ASSERT_TRUE(ctrl_.reap(c));
    EXPECT_EQ(c.len, kSlotResponseSize);
    EXPECT_EQ(c.response.status, ResponseStatus::ok);
}

TEST_F(Queues, UsedIndexJumpBreaksTheQueue) {
    ASSERT_TRUE(submit_present(1));
    ring::store_release(ctrl_.ring().used_addr() + kUsedIdxOffset, kNum + 5);
    CtrlCompletion c;
    EXPECT_FALSE(ctrl_.reap(c));
    EXPECT_TRUE(ctrl_.ring().broken());
}

TEST_F(Queues, EventsAreCopiedAndReposted) {
    EXPECT_EQ(events_.posted(), kNum);
    EXPECT_TRUE(events_.kick_needed());
    uint16_t head = 0;
    ASSERT_TRUE(edev_.pop(head));
    const VringDesc d = edev_.desc(head);
    EXPECT_EQ(d.len, kEventBufferSize);
    EXPECT_TRUE(d.flags & kDescFWrite);
    vdmabuf_evt_release e{};
    e.hdr.type = VDMABUF_EVT_RELEASE;
    e.sequence = 9;
    std::memcpy(edev_.ptr(d.addr), &e, sizeof e);
    edev_.push(head, sizeof e);
    uint8_t buf[kEventBufferSize];
    uint32_t len = 0;
    ASSERT_TRUE(events_.reap(buf, len));
    EXPECT_EQ(len, sizeof e);
    EXPECT_EQ(std::memcmp(buf, &e, sizeof e), 0);
    EXPECT_EQ(events_.posted(), kNum); // re-added at once
    events_.publish();
    // The device writes over the shared buffer afterwards: our copy is unaffected.
    std::memset(edev_.ptr(d.addr), 0xff, kEventBufferSize);
    EXPECT_EQ(std::memcmp(buf, &e, sizeof e), 0);
}

TEST_F(Queues, ShortAndOversizedEvents) {
    uint16_t h1 = 0, h2 = 0;
    ASSERT_TRUE(edev_.pop(h1));
    ASSERT_TRUE(edev_.pop(h2));
    edev_.push(h1, 10);
    edev_.push(h2, 4096);
    edev_.push(kNum + 1, 48);
    uint8_t buf[kEventBufferSize];
    uint32_t len = 0;
    ASSERT_TRUE(events_.reap(buf, len));
    EXPECT_EQ(len, 10u);
    ASSERT_TRUE(events_.reap(buf, len));
    EXPECT_EQ(len, kEventBufferSize);
    EXPECT_FALSE(events_.reap(buf, len));
    EXPECT_EQ(events_.ring().error_count(), 2u); // oversized len + bad id
    EXPECT_EQ(events_.posted(), kNum);
}

} // namespace
} // namespace vdmabuf::frontend
