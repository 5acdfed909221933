// BufferTable: lookup by counter and the interval map behind EXPORT's overlap rule.
#include "guest/buffer_table.hpp"

#include <gtest/gtest.h>

namespace vdmabuf::backend {
namespace {

Buffer make(uint32_t counter) {
    Buffer b;
    b.id = {1, counter, 42};
    return b;
}

TEST(BufferTable, InsertFindErase) {
    BufferTable t(4);
    EXPECT_TRUE(t.empty());
    GpaRange r1[] = {{0x10000, 0x2000}, {0x20000, 0x1000}};
    t.insert(make(3), r1);
    ASSERT_NE(t.find(3), nullptr);
    EXPECT_EQ(t.find(3)->buffer.id.counter, 3u);
    EXPECT_EQ(t.find(3)->ranges.size(), 2u);
    EXPECT_FALSE(t.find(3)->in_flight);
    EXPECT_EQ(t.find(4), nullptr);
    EXPECT_EQ(t.size(), 1u);
    t.erase(3);
    EXPECT_EQ(t.find(3), nullptr);
    EXPECT_FALSE(t.overlaps(0x10000, 0x1000));
    t.erase(3); // idempotent
}

TEST(BufferTable, OverlapBoundaries) {
    BufferTable t(4);
    GpaRange r1[] = {{0x10000, 0x2000}, {0x20000, 0x1000}};
    GpaRange r2[] = {{0x30000, 0x10000}};
    t.insert(make(1), r1);
    t.insert(make(2), r2);
    EXPECT_FALSE(t.overlaps(0x0, 0x10000));     // ends where the first starts
    EXPECT_TRUE(t.overlaps(0x0, 0x11000));
    EXPECT_TRUE(t.overlaps(0x11000, 0x1000));   // inside
    EXPECT_FALSE(t.overlaps(0x12000, 0xe000));  // the gap exactly
    EXPECT_TRUE(t.overlaps(0x12000, 0xf000));   // one page into the next
    EXPECT_TRUE(t.overlaps(0x0, 0x100000));     // covers everything
    EXPECT_TRUE(t.overlaps(0x3f000, 0x1000));   // last page of r2
    EXPECT_FALSE(t.overlaps(0x40000, 0x1000));  // right after r2
    EXPECT_FALSE(t.overlaps(0x11000, 0));       // empty range
    t.erase(2);
    EXPECT_FALSE(t.overlaps(0x30000, 0x10000));
    EXPECT_TRUE(t.overlaps(0x20000, 0x1000));
    t.clear();
    EXPECT_FALSE(t.overlaps(0, ~uint64_t{0}));
    EXPECT_TRUE(t.empty());
}

TEST(BufferTable, ForEach) {
    BufferTable t(4);
    GpaRange a[] = {{0x1000, 0x1000}};
    GpaRange b[] = {{0x2000, 0x1000}};
    t.insert(make(1), a);
    t.insert(make(2), b);
    uint32_t sum = 0;
    t.for_each([&](const BufferTable::Entry& e) { sum += e.buffer.id.counter; });
    EXPECT_EQ(sum, 3u);
    t.for_each([](BufferTable::Entry& e) { e.in_flight = true; });
    EXPECT_TRUE(t.find(1)->in_flight);
}

} // namespace
} // namespace vdmabuf::backend
