#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

using namespace vdmabuf;

TEST(Time, MonotonicAndConsistent) {
    uint64_t a = now_ns();
    usleep(2000);
    uint64_t b = now_ns();
    EXPECT_GE(b - a, 2'000'000u);
    uint64_t us = now_us();
    EXPECT_GE(us, b / 1000);
    EXPECT_LT(us, b / 1000 + 1'000'000); // same clock, within a second
}

TEST(Percentiles, EmptyIsZero) {
    Percentiles p;
    EXPECT_EQ(p.count(), 0u);
    EXPECT_EQ(p.median(), 0u);
    EXPECT_EQ(p.percentile(99), 0u);
}

TEST(Percentiles, NearestRank) {
    Percentiles p(16);
    // Added out of order: 1..10 scrambled.
    for (uint64_t v : {7, 3, 10, 1, 9, 2, 8, 5, 4, 6})
        p.add(v);
    EXPECT_EQ(p.count(), 10u);
    EXPECT_EQ(p.percentile(0), 1u);
    EXPECT_EQ(p.min(), 1u);
    EXPECT_EQ(p.percentile(10), 1u); // ceil(1.0) = rank 1
    EXPECT_EQ(p.percentile(11), 2u); // ceil(1.1) = rank 2
    EXPECT_EQ(p.median(), 5u);       // rank 5
    EXPECT_EQ(p.percentile(90), 9u);
    EXPECT_EQ(p.percentile(95), 10u);
    EXPECT_EQ(p.percentile(100), 10u);
    EXPECT_EQ(p.max(), 10u);
    EXPECT_EQ(p.percentile(250), 10u); // clamped
    EXPECT_EQ(p.percentile(-5), 1u);

    // Adding after a query re-sorts.
    p.add(0);
    EXPECT_EQ(p.min(), 0u);
    EXPECT_EQ(p.count(), 11u);
    EXPECT_EQ(p.median(), 5u); // rank ceil(5.5) = 6 of 0..10 -> 5
    p.clear();
    EXPECT_EQ(p.count(), 0u);
}

TEST(Percentiles, SingleSample) {
    Percentiles p;
    p.add(42);
    EXPECT_EQ(p.percentile(0), 42u);
    EXPECT_EQ(p.percentile(50), 42u);
    EXPECT_EQ(p.percentile(100), 42u);
}

TEST(RecentPercentiles, KeepsTheNewestWindowInFixedMemory) {
    RecentPercentiles p(4);
    EXPECT_EQ(p.count(), 0u);
    EXPECT_EQ(p.median(), 0u);
    for (uint64_t v : {100, 1, 2, 3})
        p.add(v);
    EXPECT_EQ(p.percentile(100), 100u);
    EXPECT_EQ(p.percentile(0), 1u);
    // Each add replaces the oldest: 100 goes first, then 1.
    p.add(5);
    EXPECT_EQ(p.count(), 4u);
    EXPECT_EQ(p.percentile(100), 5u);
    EXPECT_EQ(p.percentile(0), 1u);
    p.add(6);
    EXPECT_EQ(p.percentile(0), 2u);
    EXPECT_EQ(p.median(), 3u); // of 2, 3, 5, 6: rank 2
    // A long run stays at the window.
    for (uint64_t v = 0; v < 100000; ++v)
        p.add(v);
    EXPECT_EQ(p.count(), 4u);
    EXPECT_EQ(p.percentile(0), 99996u);
    EXPECT_EQ(p.percentile(100), 99999u);
}
