#include <vdmabuf/shared/unique_fd.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

using vdmabuf::UniqueFd;

namespace {

bool is_open(int fd) {
    return fcntl(fd, F_GETFD) != -1;
}

// A pipe's read end, with the write end closed right away.
int make_fd(int flags = O_CLOEXEC) {
    int p[2];
    if (pipe2(p, flags) != 0)
        return -1;
    close(p[1]);
    return p[0];
}

} // namespace

TEST(UniqueFd, DefaultIsEmpty) {
    UniqueFd fd;
    EXPECT_FALSE(fd);
    EXPECT_EQ(fd.get(), -1);
    EXPECT_FALSE(fd.dup_cloexec());
}

TEST(UniqueFd, ClosesOnDestruction) {
    int raw = make_fd();
    ASSERT_GE(raw, 0);
    {
        UniqueFd fd{raw};
        EXPECT_TRUE(fd);
        EXPECT_TRUE(is_open(raw));
    }
    EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveTransfersOwnership) {
    int raw = make_fd();
    ASSERT_GE(raw, 0);
    UniqueFd a{raw};
    UniqueFd b{std::move(a)};
    EXPECT_EQ(a.get(), -1); // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.get(), raw);

    int raw2 = make_fd();
    ASSERT_GE(raw2, 0);
    UniqueFd c{raw2};
    c = std::move(b); // closes raw2, takes raw
    EXPECT_FALSE(is_open(raw2));
    EXPECT_EQ(c.get(), raw);
    EXPECT_TRUE(is_open(raw));

    auto& self = c;
    c = std::move(self); // self-move keeps the fd
    EXPECT_EQ(c.get(), raw);
    EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseDoesNotClose) {
    int raw = make_fd();
    ASSERT_GE(raw, 0);
    int released;
    {
        UniqueFd fd{raw};
        released = fd.release();
        EXPECT_FALSE(fd);
    }
    EXPECT_EQ(released, raw);
    EXPECT_TRUE(is_open(raw));
    close(raw);
}

TEST(UniqueFd, ResetClosesOld) {
    int raw = make_fd();
    int raw2 = make_fd();
    ASSERT_GE(raw, 0);
    ASSERT_GE(raw2, 0);
    UniqueFd fd{raw};
    fd.reset(raw2);
    EXPECT_FALSE(is_open(raw));
    EXPECT_EQ(fd.get(), raw2);
    fd.reset();
    EXPECT_FALSE(is_open(raw2));
    EXPECT_FALSE(fd);
}

TEST(UniqueFd, DupCloexecIsIndependentAndCloexec) {
    UniqueFd fd{make_fd(0)}; // original without CLOEXEC, to see that the dup sets it
    ASSERT_TRUE(fd);
    ASSERT_EQ(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
    UniqueFd dup = fd.dup_cloexec();
    ASSERT_TRUE(dup);
    EXPECT_NE(dup.get(), fd.get());
    EXPECT_NE(fcntl(dup.get(), F_GETFD) & FD_CLOEXEC, 0);
    int dup_raw = dup.get();
    fd.reset();
    EXPECT_TRUE(is_open(dup_raw)); // independent of the original
}
