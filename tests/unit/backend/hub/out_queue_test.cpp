// OutQueue: order, in-place coalescing, cancellation, compaction when full,
// and that queued fds are our own copies.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "hub/out_queue.hpp"

namespace vdmabuf::backend {
namespace {

uint32_t pop_record(OutQueue& q) {
    q.pop_dead();
    EXPECT_FALSE(q.empty());
    uint32_t r = q.front().kind == OutQueue::Kind::present ? q.front().record : UINT32_MAX;
    q.pop();
    return r;
}

TEST(OutQueue, KeepsOrderAndReplacesTheNewestPresentInPlace) {
    OutQueue q(8);
    uint8_t byte = 1;
    ASSERT_TRUE(q.push_present(10));
    ASSERT_TRUE(q.push_bytes(&byte, 1, {}));
    ASSERT_TRUE(q.push_present(11));
    EXPECT_TRUE(q.replace_last_present(11, 12));  // newest: replaced in place
    EXPECT_FALSE(q.replace_last_present(10, 13)); // not newest: order would break
    EXPECT_TRUE(q.cancel_present(10));
    EXPECT_FALSE(q.cancel_present(10));
    EXPECT_EQ(pop_record(q), UINT32_MAX); // the bytes
    EXPECT_EQ(pop_record(q), 12u);
    q.pop_dead();
    EXPECT_TRUE(q.empty());
}

TEST(OutQueue, CompactsDeadEntriesWhenFull) {
    OutQueue q(4);
    for (uint32_t i = 0; i < 4; ++i)
        ASSERT_TRUE(q.push_present(i));
    EXPECT_FALSE(q.push_present(99)); // full
    EXPECT_TRUE(q.cancel_present(1));
    EXPECT_TRUE(q.cancel_present(2));
    EXPECT_TRUE(q.push_present(4)); // compaction made room
    EXPECT_TRUE(q.push_present(5));
    EXPECT_EQ(q.size(), 4u);
    for (uint32_t want : {0u, 3u, 4u, 5u})
        EXPECT_EQ(pop_record(q), want);
}

TEST(OutQueue, QueuedFdsAreDuplicates) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    OutQueue q(2);
    uint8_t byte = 0;
    int fds[1] = {p[1]};
    ASSERT_TRUE(q.push_bytes(&byte, 1, fds));
    ::close(p[1]); // the caller's copy goes away; the queue keeps the pipe open
    ASSERT_EQ(q.front().fds.size(), 1u);
    EXPECT_EQ(::write(q.front().fds[0].get(), "x", 1), 1);
    EXPECT_NE(::fcntl(q.front().fds[0].get(), F_GETFD) & FD_CLOEXEC, 0);
    q.pop(); // closes it: the read end now sees the byte, then EOF
    char c[2];
    EXPECT_EQ(::read(p[0], c, 2), 1);
    EXPECT_EQ(::read(p[0], c, 2), 0);
    ::close(p[0]);
}

} // namespace
} // namespace vdmabuf::backend
