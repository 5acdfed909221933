#include "id_allocator.hpp"

#include <gtest/gtest.h>

namespace vdmabuf::frontend {
namespace {

TEST(IdAllocator, CarriesGuestAndKeyAndNonZeroCounters) {
    IdAllocator ids;
    ids.reset(7, 0x1122334455667788ull);
    vdmabuf_id a{}, b{};
    ASSERT_TRUE(ids.next(a));
    ASSERT_TRUE(ids.next(b));
    EXPECT_EQ(a.guest, 7u);
    EXPECT_EQ(a.key, 0x1122334455667788ull);
    EXPECT_NE(a.counter, 0u);
    EXPECT_NE(a.counter, b.counter);
    EXPECT_TRUE(ids.live(a.counter));
    EXPECT_TRUE(ids.ours(a));
    vdmabuf_id other = a;
    other.key ^= 1;
    EXPECT_FALSE(ids.ours(other));
}

TEST(IdAllocator, WrapSkipsZeroAndLiveCounters) {
    IdAllocator ids;
    ids.reset(1, 2);
    vdmabuf_id first{}, second{};
    ASSERT_TRUE(ids.next(first));  // 1
    ASSERT_TRUE(ids.next(second)); // 2
    ids.set_last_counter(UINT32_MAX - 1);
    vdmabuf_id id{};
    ASSERT_TRUE(ids.next(id));
    EXPECT_EQ(id.counter, UINT32_MAX);
    ASSERT_TRUE(ids.next(id)); // wraps: skips 0, 1 and 2 (live)
    EXPECT_EQ(id.counter, 3u);
    ids.release(first.counter);
    ids.set_last_counter(UINT32_MAX);
    ASSERT_TRUE(ids.next(id));
    EXPECT_EQ(id.counter, 1u); // released, so reusable
}

TEST(IdAllocator, ResetStartsANewSession) {
    IdAllocator ids;
    ids.reset(1, 2);
    vdmabuf_id id{};
    ASSERT_TRUE(ids.next(id));
    ids.reset(3, 4);
    EXPECT_EQ(ids.live_count(), 0u);
    ASSERT_TRUE(ids.next(id));
    EXPECT_EQ(id.guest, 3u);
    EXPECT_EQ(id.counter, 1u);
}

} // namespace
} // namespace vdmabuf::frontend
