#include <vdmabuf/virtio/split_ring.hpp>

#include <gtest/gtest.h>

namespace vdmabuf::virtio {
namespace {

TEST(SplitRing, QueueSizeValidity) {
    EXPECT_FALSE(is_valid_queue_size(0));
    EXPECT_TRUE(is_valid_queue_size(1));
    EXPECT_TRUE(is_valid_queue_size(256));
    EXPECT_TRUE(is_valid_queue_size(32768));
    EXPECT_FALSE(is_valid_queue_size(65536));
    EXPECT_FALSE(is_valid_queue_size(100));
    EXPECT_FALSE(is_valid_queue_size(0x80000000u));
}

TEST(SplitRing, Sizes) {
    EXPECT_EQ(desc_table_size(256), 4096u);
    EXPECT_EQ(avail_size(256, false), 6u + 2 * 256 - 2);
    EXPECT_EQ(avail_size(256, true), 6u + 2 * 256);
    EXPECT_EQ(used_size(256, false), 6u + 8 * 256 - 2);
    EXPECT_EQ(used_size(256, true), 6u + 8 * 256);
    EXPECT_EQ(used_event_offset(8), 20u);
    EXPECT_EQ(avail_event_offset(8), 68u);
    EXPECT_EQ(desc_table_size(kMaxQueueSize), 512u * 1024);
}

TEST(SplitRing, NeedEventBasic) {
    // Other side wants an event once idx passes 5 (i.e. when 6 is published).
    EXPECT_TRUE(vring_need_event(5, 6, 5));
    EXPECT_TRUE(vring_need_event(5, 8, 3));  // crossed in a batch
    EXPECT_FALSE(vring_need_event(5, 5, 3)); // not yet past
    EXPECT_FALSE(vring_need_event(5, 9, 6)); // already notified for 6
    EXPECT_FALSE(vring_need_event(5, 7, 7)); // nothing new
    EXPECT_TRUE(vring_need_event(0, 1, 0));  // fresh rings: first entry notifies
}

TEST(SplitRing, NeedEventWrap) {
    EXPECT_TRUE(vring_need_event(0xffff, 0, 0xffff));
    EXPECT_TRUE(vring_need_event(0xfffe, 2, 0xfffd));
    EXPECT_TRUE(vring_need_event(0, 3, 0xfffe));
    EXPECT_FALSE(vring_need_event(0xfff0, 3, 0xfffe));
    EXPECT_TRUE(vring_need_event(2, 3, 0xfffe));
    EXPECT_FALSE(vring_need_event(3, 3, 0xfffe));
    // Exhaustive against a reference using wide arithmetic on a window of indices.
    for (uint32_t old = 0xff00; old < 0x10100; old += 7) {
        for (uint32_t delta = 0; delta < 40; ++delta) {
            for (uint32_t ev_back = 0; ev_back < 50; ++ev_back) {
                uint32_t nw = old + delta;
                uint32_t ev = nw - ev_back; // event in [nw - 49, nw]
                // Needed iff ev + 1 in (old, nw].
                bool expect = ev + 1 > old && ev + 1 <= nw;
                ASSERT_EQ(vring_need_event(static_cast<uint16_t>(ev), static_cast<uint16_t>(nw),
                                           static_cast<uint16_t>(old)),
                          expect)
                    << "ev " << ev << " new " << nw << " old " << old;
            }
        }
    }
}

} // namespace
} // namespace vdmabuf::virtio
