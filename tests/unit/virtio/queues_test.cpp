// DriverQueue (front-end) and DeviceQueue (back-end) talking over one memfd.
#include "virtio_test_env.hpp"

#include <vector>

namespace vdmabuf::virtio {
namespace {

using QueuesTest = test::VirtioEnv;

TEST_F(QueuesTest, LayoutAndConfigure) {
    EXPECT_EQ(DriverQueue::layout_size(0, false), 0u);
    EXPECT_EQ(DriverQueue::layout_size(3, false), 0u);
    EXPECT_EQ(DriverQueue::layout_size(256, true) % 4096, 0u);
    setup_queues(64, true);
    EXPECT_EQ(drv_.desc_gpa(), gpa(0));
    EXPECT_EQ(drv_.avail_gpa(), gpa(64 * 16));
    EXPECT_EQ(drv_.used_gpa() % 4, 0u);
    EXPECT_TRUE(dev_->ready());
    EXPECT_EQ(drv_.free_count(), 64u);

    DeviceQueue q;
    EXPECT_FALSE(q.configure(mem_, 48, uva(drv_.desc_addr()), uva(drv_.avail_addr()),
                             uva(drv_.used_addr()), false)); // not a power of two
    EXPECT_FALSE(q.configure(mem_, 64, uva(drv_.desc_addr()) + 8, uva(drv_.avail_addr()),
                             uva(drv_.used_addr()), false)); // desc misaligned
    EXPECT_FALSE(q.configure(mem_, 64, uva(drv_.desc_addr()), uva(drv_.avail_addr()) + 1,
                             uva(drv_.used_addr()), false)); // avail misaligned
    EXPECT_FALSE(q.configure(mem_, 64, uva(drv_.desc_addr()), uva(drv_.avail_addr()),
                             uva(drv_.used_addr()) + 2, false)); // used misaligned
    EXPECT_FALSE(q.configure(mem_, 64, uva(host(kMemSize - 512)), uva(drv_.avail_addr()),
                             uva(drv_.used_addr()), false)); // desc table runs off the end
    EXPECT_FALSE(q.configure(mem_, 64, 0x1000, uva(drv_.avail_addr()), uva(drv_.used_addr()),
                             false)); // not guest memory
    EXPECT_FALSE(q.configured());
    Chain chain;
    EXPECT_EQ(q.pop(chain), PopResult::empty);
}

TEST_F(QueuesTest, RequestReplyRoundTrip) {
    setup_queues(8, false);
    const char request[] = "request-payload";
    std::memcpy(host(kDataOffset), request, sizeof request);
    Segment segs[] = {
        {gpa(kDataOffset), sizeof request, false},
        {gpa(kDataOffset + 4096), 100, true},
        {gpa(kDataOffset + 8192), 100, true},
    };
    ASSERT_TRUE(drv_.add(segs, 42));
    EXPECT_EQ(drv_.free_count(), 5u);
    EXPECT_EQ(drv_.in_flight(), 1u);

    Chain chain;
    EXPECT_EQ(dev_->pop(chain), PopResult::empty); // not published yet
    drv_.publish();
    EXPECT_TRUE(drv_.kick_needed());
    EXPECT_FALSE(drv_.kick_needed()); // nothing new since

    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    EXPECT_EQ(chain.readable_len(), sizeof request);
    EXPECT_EQ(chain.writable_len(), 200u);
    EXPECT_EQ(chain.readable().size(), 1u);
    EXPECT_EQ(chain.writable().size(), 2u);
    char got[sizeof request] = {};
    EXPECT_EQ(chain.read(0, got, sizeof got), sizeof request);
    EXPECT_STREQ(got, request);
    EXPECT_EQ(chain.read(8, got, 100), sizeof request - 8); // short at the end

    std::vector<uint8_t> reply(150);
    for (size_t i = 0; i < reply.size(); ++i)
        reply[i] = static_cast<uint8_t>(i);
    EXPECT_EQ(chain.write(reply.data(), reply.size()), 150u); // spans both segments
    EXPECT_EQ(chain.write(reply.data(), reply.size()), 50u);  // only 50 left
    EXPECT_EQ(chain.written(), 200u);
    dev_->push(chain);
    EXPECT_TRUE(dev_->should_notify());
    EXPECT_FALSE(dev_->should_notify());
    EXPECT_EQ(dev_->pop(chain), PopResult::empty);

    uint32_t token = 0, len = 0;
    ASSERT_TRUE(drv_.get_used(token, len));
    EXPECT_EQ(token, 42u);
    EXPECT_EQ(len, 200u);
    EXPECT_EQ(std::memcmp(host(kDataOffset + 4096), reply.data(), 100), 0);
    EXPECT_EQ(std::memcmp(host(kDataOffset + 8192), reply.data() + 100, 50), 0);
    EXPECT_FALSE(drv_.get_used(token, len));
    EXPECT_EQ(drv_.free_count(), 8u);
    EXPECT_EQ(drv_.in_flight(), 0u);
    EXPECT_EQ(dev_->error_count(), 0u);
    EXPECT_EQ(drv_.error_count(), 0u);
}

TEST_F(QueuesTest, AddFailsWithoutEnoughDescriptorsOrWithBadOrder) {
    setup_queues(4, false);
    Segment three[] = {
        {gpa(kDataOffset), 8, false}, {gpa(kDataOffset), 8, false}, {gpa(kDataOffset), 8, true}};
    ASSERT_TRUE(drv_.add(three, 1));
    EXPECT_FALSE(drv_.add(three, 2));
    Segment bad[] = {{gpa(kDataOffset), 8, true}, {gpa(kDataOffset), 8, false}};
    EXPECT_FALSE(drv_.add(bad, 3));
    EXPECT_FALSE(drv_.add({}, 4));
    Segment one[] = {{gpa(kDataOffset), 8, false}};
    EXPECT_TRUE(drv_.add(one, 5));
    EXPECT_FALSE(drv_.add(one, 6));
    EXPECT_EQ(drv_.in_flight(), 2u);
}

// Drives both indices through several u16 wraps with varying batch sizes and
// out-of-order completion.
void run_round_trips(test::VirtioEnv& env, DriverQueue& drv, DeviceQueue& dev, uint32_t num,
                     uint32_t rounds) {
    Chain chain;
    uint32_t sent = 0, done = 0, next_token = 0, expected_token = 0;
    uint64_t seed = 1;
    while (done < rounds) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t batch = 1 + static_cast<uint32_t>((seed >> 33) % num);
        for (uint32_t i = 0; i < batch && sent < rounds; ++i) {
            size_t off = test::VirtioEnv::kDataOffset + 64 * (next_token % num);
            uint32_t value = next_token;
            std::memcpy(env.host(off), &value, 4);
            Segment segs[] = {{test::VirtioEnv::gpa(off), 4, false},
                              {test::VirtioEnv::gpa(off + 32), 8, true}};
            if (!drv.add(segs, next_token))
                break;
            ++next_token;
            ++sent;
        }
        drv.publish();
        (void)drv.kick_needed();

        PopResult r;
        while ((r = dev.pop(chain)) == PopResult::ok) {
            uint32_t value = 0;
            ASSERT_EQ(chain.read(0, &value, 4), 4u);
            uint64_t reply = uint64_t{value} * 3;
            ASSERT_EQ(chain.write(&reply, 8), 8u);
            dev.push(chain);
        }
        ASSERT_EQ(r, PopResult::empty);
        (void)dev.should_notify();
        (void)dev.enable_notifications();

        uint32_t token = 0, len = 0;
        while (drv.get_used(token, len)) {
            ASSERT_EQ(token, expected_token);
            ASSERT_EQ(len, 8u);
            size_t off = test::VirtioEnv::kDataOffset + 64 * (token % num);
            uint64_t reply = 0;
            std::memcpy(&reply, env.host(off + 32), 8);
            ASSERT_EQ(reply, uint64_t{token} * 3);
            ++expected_token;
            ++done;
        }
        (void)drv.enable_interrupts();
    }
    EXPECT_EQ(drv.in_flight(), 0u);
    EXPECT_EQ(drv.free_count(), num);
    EXPECT_EQ(dev.base(), static_cast<uint16_t>(rounds));
    EXPECT_EQ(dev.error_count(), 0u);
    EXPECT_EQ(drv.error_count(), 0u);
}

TEST_F(QueuesTest, IndexWrapAroundWithoutEventIdx) {
    setup_queues(16, false);
    run_round_trips(*this, drv_, *dev_, 16, 70001);
}

TEST_F(QueuesTest, IndexWrapAroundWithEventIdx) {
    setup_queues(8, true);
    run_round_trips(*this, drv_, *dev_, 8, 140003);
}

TEST_F(QueuesTest, EventIdxSuppressesKicks) {
    setup_queues(8, true);
    Segment seg[] = {{gpa(kDataOffset), 16, false}};
    Chain chain;

    ASSERT_TRUE(drv_.add(seg, 0));
    drv_.publish();
    EXPECT_TRUE(drv_.kick_needed()); // avail_event 0: the first add kicks
    ASSERT_TRUE(drv_.add(seg, 1));
    drv_.publish();
    EXPECT_FALSE(drv_.kick_needed()); // device has not re-armed

    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    EXPECT_FALSE(dev_->enable_notifications()); // avail_event = 2, nothing pending

    ASSERT_TRUE(drv_.add(seg, 2));
    drv_.publish();
    EXPECT_TRUE(drv_.kick_needed());
    ASSERT_TRUE(drv_.add(seg, 3));
    drv_.publish();
    EXPECT_FALSE(drv_.kick_needed());
    // Re-arming while work is pending reports it.
    EXPECT_TRUE(dev_->enable_notifications());
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    dev_->disable_notifications(); // EVENT_IDX: no write, avail_event stays at 2
    ASSERT_TRUE(drv_.add(seg, 4));
    drv_.publish();
    EXPECT_FALSE(drv_.kick_needed());
}

TEST_F(QueuesTest, EventIdxSuppressesInterrupts) {
    setup_queues(8, true);
    Segment seg[] = {{gpa(kDataOffset), 16, true}};
    Chain chain;
    for (uint32_t t = 0; t < 4; ++t)
        ASSERT_TRUE(drv_.add(seg, t));
    drv_.publish();

    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    EXPECT_TRUE(dev_->should_notify()); // used_event 0: first used entry interrupts
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    EXPECT_FALSE(dev_->should_notify()); // driver has not re-armed

    uint32_t token, len;
    ASSERT_TRUE(drv_.get_used(token, len));
    ASSERT_TRUE(drv_.get_used(token, len));
    EXPECT_EQ(token, 1u);
    EXPECT_FALSE(drv_.enable_interrupts()); // used_event = 2

    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain); // batch of two crossing used_event
    EXPECT_TRUE(dev_->should_notify());
    EXPECT_TRUE(drv_.enable_interrupts()); // entries already pending
}

TEST_F(QueuesTest, FlagBasedSuppressionWithoutEventIdx) {
    setup_queues(8, false);
    Segment seg[] = {{gpa(kDataOffset), 16, true}};
    Chain chain;

    dev_->disable_notifications();
    ASSERT_TRUE(drv_.add(seg, 0));
    drv_.publish();
    EXPECT_FALSE(drv_.kick_needed());
    dev_->set_avail_event(); // clears NO_NOTIFY
    ASSERT_TRUE(drv_.add(seg, 1));
    drv_.publish();
    EXPECT_TRUE(drv_.kick_needed());

    drv_.disable_interrupts();
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    EXPECT_FALSE(dev_->should_notify());
    EXPECT_TRUE(drv_.enable_interrupts()); // one pending already
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    EXPECT_TRUE(dev_->should_notify());
}

TEST_F(QueuesTest, BaseSurvivesReconfigureAndDisableStopsPops) {
    setup_queues(8, false);
    Segment seg[] = {{gpa(kDataOffset), 16, false}};
    Chain chain;
    ASSERT_TRUE(drv_.add(seg, 7));
    drv_.publish();
    dev_->enable(false);
    EXPECT_EQ(dev_->pop(chain), PopResult::empty);
    // Work is posted, but a disabled ring must not ask its caller to pop again (a
    // pop-until-empty loop would spin: QEMU restarting a ring the guest posted to).
    EXPECT_FALSE(dev_->enable_notifications());
    dev_->enable(true);
    ASSERT_EQ(dev_->pop(chain), PopResult::ok);
    dev_->push(chain);
    EXPECT_EQ(dev_->base(), 1u);

    // GET_VRING_BASE / SET_VRING_BASE across a reconnect.
    uint16_t base = dev_->base();
    DeviceQueue again;
    again.set_base(base);
    ASSERT_TRUE(again.configure(mem_, 8, uva(drv_.desc_addr()), uva(drv_.avail_addr()),
                                uva(drv_.used_addr()), false));
    again.enable(true);
    EXPECT_EQ(again.pop(chain), PopResult::empty);
    ASSERT_TRUE(drv_.add(seg, 8));
    drv_.publish();
    ASSERT_EQ(again.pop(chain), PopResult::ok);
    again.push(chain);
    uint32_t token, len;
    ASSERT_TRUE(drv_.get_used(token, len));
    EXPECT_EQ(token, 7u);
    ASSERT_TRUE(drv_.get_used(token, len));
    EXPECT_EQ(token, 8u);
    EXPECT_TRUE(again.remap());
    again.reset();
    EXPECT_FALSE(again.configured());
    EXPECT_EQ(again.base(), 0u);
}

} // namespace
} // namespace vdmabuf::virtio
