// A hostile driver writes raw descriptors and ring indices; the device side must report
// bad_chain / broken_queue and never crash or touch memory outside the regions.
#include "virtio_test_env.hpp"

namespace vdmabuf::virtio {
namespace {

class HostileChainTest : public test::VirtioEnv {
protected:
    static constexpr uint32_t kNum = 8;
    void SetUp() override {
        test::VirtioEnv::SetUp();
        setup_queues(kNum, false, /*indirect=*/true);
    }
    uint64_t buf(uint32_t i) { return gpa(kDataOffset + 4096 * i); }

    // Publishes head and expects bad_chain, then hands it back; the queue keeps working.
    void expect_bad_chain(uint16_t head) {
        raw_publish_head(head);
        ASSERT_EQ(dev_->pop(chain_), PopResult::bad_chain);
        EXPECT_EQ(chain_.head(), head);
        EXPECT_EQ(chain_.readable_len(), 0u);
        EXPECT_EQ(chain_.writable_len(), 0u);
        dev_->push(chain_.head(), 0);
        EXPECT_EQ(dev_->pop(chain_), PopResult::empty);
        expect_still_works();
    }
    void expect_still_works() {
        raw_desc(7, buf(0), 32, 0, 0);
        raw_publish_head(7);
        ASSERT_EQ(dev_->pop(chain_), PopResult::ok);
        EXPECT_EQ(chain_.readable_len(), 32u);
        dev_->push(chain_);
    }

    Chain chain_;
};

TEST_F(HostileChainTest, DescriptorLoop) {
    raw_desc(0, buf(0), 16, kDescFNext, 1);
    raw_desc(1, buf(1), 16, kDescFNext, 0);
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, SelfLoop) {
    raw_desc(3, buf(0), 16, kDescFNext, 3);
    expect_bad_chain(3);
}

TEST_F(HostileChainTest, ChainLongerThanQueue) {
    for (uint16_t i = 0; i < kNum; ++i) // 0 -> 1 -> ... -> 7 -> 0 -> ...
        raw_desc(i, buf(0), 1, kDescFNext, static_cast<uint16_t>((i + 1) % kNum));
    expect_bad_chain(2);
}

TEST_F(HostileChainTest, NextOutOfRange) {
    raw_desc(0, buf(0), 16, kDescFNext, kNum);
    expect_bad_chain(0);
    raw_desc(0, buf(0), 16, kDescFNext, 0xffff);
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, WritableBeforeReadable) {
    raw_desc(0, buf(0), 16, kDescFWrite | kDescFNext, 1);
    raw_desc(1, buf(1), 16, 0, 0);
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, AddressOutsideMemory) {
    raw_desc(0, gpa(kMemSize - 8), 16, 0, 0); // runs past the end
    expect_bad_chain(0);
    raw_desc(0, kGpa - 16, 16, 0, 0); // below the region
    expect_bad_chain(0);
    raw_desc(0, ~uint64_t{0} - 4, 16, 0, 0); // wraps
    expect_bad_chain(0);
    raw_desc(0, buf(0), 16, kDescFNext, 1);
    raw_desc(1, 0, 0xffffffff, kDescFWrite, 0); // huge writable
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, ByteLimits) {
    DeviceQueueLimits limits;
    limits.max_readable = 100;
    limits.max_writable = 50;
    dev_ = std::make_unique<DeviceQueue>(limits);
    ASSERT_TRUE(dev_->configure(mem_, kNum, uva(drv_.desc_addr()), uva(drv_.avail_addr()),
                                uva(drv_.used_addr()), false, true));
    dev_->set_base(raw_avail_idx());
    dev_->enable(true);
    raw_desc(0, buf(0), 60, kDescFNext, 1);
    raw_desc(1, buf(1), 60, 0, 0);
    expect_bad_chain(0);
    raw_desc(0, buf(0), 30, kDescFWrite | kDescFNext, 1);
    raw_desc(1, buf(1), 30, kDescFWrite, 0);
    expect_bad_chain(0);
    raw_desc(0, buf(0), 100, kDescFNext, 1);
    raw_desc(1, buf(1), 50, kDescFWrite, 0);
    raw_publish_head(0);
    EXPECT_EQ(dev_->pop(chain_), PopResult::ok);
}

TEST_F(HostileChainTest, ValidIndirectTable) {
    uint8_t* table = host(kDataOffset + 64 * 1024);
    raw_desc_at(table, 0, buf(0), 10, kDescFNext, 2);
    raw_desc_at(table, 2, buf(1), 20, kDescFNext, 1);
    raw_desc_at(table, 1, buf(2), 30, kDescFWrite, 0);
    raw_desc(4, gpa(kDataOffset + 64 * 1024), 3 * 16, kDescFIndirect, 0);
    raw_publish_head(4);
    ASSERT_EQ(dev_->pop(chain_), PopResult::ok);
    EXPECT_EQ(chain_.head(), 4);
    EXPECT_EQ(chain_.readable_len(), 30u);
    EXPECT_EQ(chain_.writable_len(), 30u);
    EXPECT_EQ(chain_.readable().size(), 2u);
}

TEST_F(HostileChainTest, DirectThenIndirect) {
    uint8_t* table = host(kDataOffset + 64 * 1024);
    raw_desc_at(table, 0, buf(1), 20, kDescFWrite, 0);
    raw_desc(0, buf(0), 10, kDescFNext, 1);
    raw_desc(1, gpa(kDataOffset + 64 * 1024), 16, kDescFIndirect, 0);
    raw_publish_head(0);
    ASSERT_EQ(dev_->pop(chain_), PopResult::ok);
    EXPECT_EQ(chain_.readable_len(), 10u);
    EXPECT_EQ(chain_.writable_len(), 20u);
}

TEST_F(HostileChainTest, IndirectBadLength) {
    const uint64_t t = gpa(kDataOffset + 64 * 1024);
    raw_desc(0, t, 24, kDescFIndirect, 0); // not a multiple of 16
    expect_bad_chain(0);
    raw_desc(0, t, 0, kDescFIndirect, 0);
    expect_bad_chain(0);
    raw_desc(0, t, 16 * 1025, kDescFIndirect, 0); // above the 1024-entry cap
    expect_bad_chain(0);
    raw_desc(0, gpa(kMemSize - 32), 64, kDescFIndirect, 0); // table outside memory
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, NestedIndirect) {
    uint8_t* table = host(kDataOffset + 64 * 1024);
    const uint64_t t = gpa(kDataOffset + 64 * 1024);
    raw_desc_at(table, 0, t, 16, kDescFIndirect, 0); // points at itself
    raw_desc(0, t, 16, kDescFIndirect, 0);
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, IndirectLoopAndOutOfRange) {
    uint8_t* table = host(kDataOffset + 64 * 1024);
    const uint64_t t = gpa(kDataOffset + 64 * 1024);
    raw_desc_at(table, 0, buf(0), 8, kDescFNext, 1);
    raw_desc_at(table, 1, buf(0), 8, kDescFNext, 0);
    raw_desc(0, t, 32, kDescFIndirect, 0);
    expect_bad_chain(0);
    raw_desc_at(table, 1, buf(0), 8, kDescFNext, 2); // table has only 2 entries
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, IndirectWithNextAndWithoutFeature) {
    const uint64_t t = gpa(kDataOffset + 64 * 1024);
    raw_desc_at(host(kDataOffset + 64 * 1024), 0, buf(0), 8, 0, 0);
    raw_desc(0, t, 16, kDescFIndirect | kDescFNext, 1);
    raw_desc(1, buf(0), 8, 0, 0);
    expect_bad_chain(0);

    dev_ = std::make_unique<DeviceQueue>();
    ASSERT_TRUE(dev_->configure(mem_, kNum, uva(drv_.desc_addr()), uva(drv_.avail_addr()),
                                uva(drv_.used_addr()), false, /*indirect=*/false));
    dev_->set_base(raw_avail_idx());
    dev_->enable(true);
    raw_desc(0, t, 16, kDescFIndirect, 0);
    expect_bad_chain(0);
}

TEST_F(HostileChainTest, AvailIdxJumpAhead) {
    raw_set_avail_idx(static_cast<uint16_t>(raw_avail_idx() + kNum + 1));
    EXPECT_EQ(dev_->pop(chain_), PopResult::broken_queue);
    EXPECT_TRUE(dev_->broken());
    EXPECT_FALSE(dev_->ready());
    EXPECT_EQ(dev_->pop(chain_), PopResult::broken_queue); // stays broken
    EXPECT_GE(dev_->error_count(), 1u);
}

TEST_F(HostileChainTest, AvailIdxGoingBackwards) {
    raw_set_avail_idx(static_cast<uint16_t>(raw_avail_idx() - 1)); // = 0xffff ahead
    EXPECT_EQ(dev_->pop(chain_), PopResult::broken_queue);
}

TEST_F(HostileChainTest, HeadOutOfRange) {
    raw_publish_head(kNum);
    EXPECT_EQ(dev_->pop(chain_), PopResult::broken_queue);
    EXPECT_TRUE(dev_->broken());
}

TEST_F(HostileChainTest, ReconfigureClearsBroken) {
    raw_publish_head(0xffff);
    EXPECT_EQ(dev_->pop(chain_), PopResult::broken_queue);
    ASSERT_TRUE(dev_->configure(mem_, kNum, uva(drv_.desc_addr()), uva(drv_.avail_addr()),
                                uva(drv_.used_addr()), false, true));
    dev_->set_base(raw_avail_idx());
    EXPECT_TRUE(dev_->ready());
    expect_still_works();
}

TEST_F(HostileChainTest, ZeroLengthDescriptorsAreSkipped) {
    raw_desc(0, 0xdead0000, 0, kDescFNext, 1); // address irrelevant when len is 0
    raw_desc(1, buf(0), 4, kDescFWrite, 0);
    raw_publish_head(0);
    ASSERT_EQ(dev_->pop(chain_), PopResult::ok);
    EXPECT_EQ(chain_.readable().size(), 0u);
    EXPECT_EQ(chain_.writable_len(), 4u);
}

// A hostile device must not corrupt the driver's state either.
TEST_F(HostileChainTest, DriverSurvivesHostileUsedRing) {
    Segment seg[] = {{buf(0), 8, true}};
    ASSERT_TRUE(drv_.add(seg, 11));
    ASSERT_TRUE(drv_.add(seg, 12));
    drv_.publish();
    uint8_t* used = drv_.used_addr();
    auto put_used = [&](uint16_t slot, uint32_t id, uint32_t len) {
        ring::store32(used + kUsedRingOffset + 8 * slot, id);
        ring::store32(used + kUsedRingOffset + 8 * slot + 4, len);
    };
    put_used(0, 9999, 8);     // id out of range
    put_used(1, 5, 8);        // never handed out
    put_used(2, 0, 1u << 30); // real head 0, absurd length
    put_used(3, 0, 8);        // head 0 again: no longer in flight
    ring::store_release(used + kUsedIdxOffset, 4);
    uint32_t token = 0, len = 0;
    ASSERT_TRUE(drv_.get_used(token, len));
    EXPECT_EQ(token, 11u);
    EXPECT_EQ(len, 8u); // clamped to the writable size
    EXPECT_FALSE(drv_.get_used(token, len));
    EXPECT_EQ(drv_.error_count(), 4u);
    EXPECT_EQ(drv_.in_flight(), 1u);
    EXPECT_EQ(drv_.free_count(), kNum - 1);

    ring::store_release(used + kUsedIdxOffset, 4 + kNum + 1); // jump ahead
    EXPECT_FALSE(drv_.get_used(token, len));
    EXPECT_TRUE(drv_.broken());
    EXPECT_EQ(drv_.in_flight(), 1u);
}

} // namespace
} // namespace vdmabuf::virtio
