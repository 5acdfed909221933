#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/time.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <vector>

using namespace vdmabuf;

namespace {

struct Pipe {
    UniqueFd r, w;
    static Pipe make() {
        int p[2];
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
            return {};
        return {UniqueFd{p[0]}, UniqueFd{p[1]}};
    }
    void poke() const { EXPECT_EQ(write(w.get(), "x", 1), 1); }
    void drain() const {
        char buf[64];
        while (read(r.get(), buf, sizeof buf) > 0) {
        }
    }
};

bool is_cloexec(int fd) {
    return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

} // namespace

TEST(EventLoop, CreateIsCloexec) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    EXPECT_GE(loop->fd(), 0);
    EXPECT_TRUE(is_cloexec(loop->fd()));
    EXPECT_EQ(loop->dispatch(0), 0); // nothing registered, nothing ready
}

TEST(EventLoop, FdReadiness) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    Pipe p = Pipe::make();
    ASSERT_TRUE(p.r);
    int calls = 0;
    uint32_t seen = 0;
    ASSERT_TRUE(loop->add(p.r.get(), EPOLLIN, [&](uint32_t ev) {
        ++calls;
        seen = ev;
        p.drain();
    }));
    EXPECT_FALSE(loop->add(p.r.get(), EPOLLIN, [](uint32_t) {})); // duplicate
    EXPECT_EQ(loop->dispatch(0), 0);
    EXPECT_EQ(calls, 0);

    p.poke();
    EXPECT_EQ(loop->dispatch(1000), 1);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(seen & EPOLLIN);

    // modify to no events: readable data is ignored until EPOLLIN is back.
    ASSERT_TRUE(loop->modify(p.r.get(), 0));
    p.poke();
    EXPECT_EQ(loop->dispatch(0), 0);
    ASSERT_TRUE(loop->modify(p.r.get(), EPOLLIN));
    EXPECT_EQ(loop->dispatch(1000), 1);
    EXPECT_EQ(calls, 2);

    loop->remove(p.r.get());
    p.poke();
    EXPECT_EQ(loop->dispatch(0), 0);
    EXPECT_EQ(calls, 2);
    EXPECT_FALSE(loop->modify(p.r.get(), EPOLLIN));
}

TEST(EventLoop, RemoveSelfAndOtherDuringDispatch) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    Pipe a = Pipe::make(), b = Pipe::make();
    ASSERT_TRUE(a.r && b.r);
    int a_calls = 0, b_calls = 0;
    // Whichever runs first removes both itself and the other; the other's
    // already-returned event must then be skipped.
    ASSERT_TRUE(loop->add(a.r.get(), EPOLLIN, [&](uint32_t) {
        ++a_calls;
        loop->remove(a.r.get());
        loop->remove(b.r.get());
    }));
    ASSERT_TRUE(loop->add(b.r.get(), EPOLLIN, [&](uint32_t) {
        ++b_calls;
        loop->remove(b.r.get());
        loop->remove(a.r.get());
    }));
    a.poke();
    b.poke();
    // Both fds are ready before dispatch, so one epoll_wait returns both events.
    EXPECT_EQ(loop->dispatch(1000), 1);
    EXPECT_EQ(a_calls + b_calls, 1);
    EXPECT_EQ(loop->dispatch(0), 0);
    EXPECT_EQ(a_calls + b_calls, 1);
}

TEST(EventLoop, RemoveSelfThenReAddSameFdNumber) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    Pipe p = Pipe::make();
    ASSERT_TRUE(p.r);
    int old_calls = 0, new_calls = 0;
    ASSERT_TRUE(loop->add(p.r.get(), EPOLLIN, [&](uint32_t) {
        ++old_calls;
        loop->remove(p.r.get()); // destroys this lambda's std::function while it runs
        EXPECT_TRUE(loop->add(p.r.get(), EPOLLIN, [&](uint32_t) {
            ++new_calls;
            p.drain();
        }));
    }));
    p.poke();
    EXPECT_EQ(loop->dispatch(1000), 1);
    EXPECT_EQ(old_calls, 1);
    EXPECT_EQ(new_calls, 0);
    EXPECT_EQ(loop->dispatch(1000), 1); // still readable: the new callback runs
    EXPECT_EQ(new_calls, 1);
    EXPECT_EQ(old_calls, 1);
}

// Wide gaps around the timer added from a callback keep the order stable under load.
TEST(EventLoop, TimersRunInDeadlineOrder) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    std::vector<int> order;
    auto record = [&](int tag) { return [&order, tag] { order.push_back(tag); }; };
    auto add_nested = [&] {
        order.push_back(20);
        loop->add_timer_ms(1, record(21)); // added from a callback
    };
    auto last = [&] {
        order.push_back(160);
        loop->stop();
    };
    uint64_t start = now_ns();
    EXPECT_NE(loop->add_timer_ms(150, record(150)), 0u);
    EXPECT_NE(loop->add_timer_ms(10, record(10)), 0u);
    EXPECT_NE(loop->add_timer_ms(20, add_nested), 0u);
    EXPECT_NE(loop->add_timer_ms(160, last), 0u);
    EXPECT_EQ(loop->run(), 0);
    EXPECT_EQ(order, (std::vector<int>{10, 20, 21, 150, 160}));
    EXPECT_GE(now_ns() - start, 160'000'000u);
}

TEST(EventLoop, EqualDeadlinesRunInInsertionOrder) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    std::vector<int> order;
    for (int i = 0; i < 5; ++i)
        loop->add_timer_ms(0, [&order, i] { order.push_back(i); });
    while (order.size() < 5)
        ASSERT_GE(loop->dispatch(1000), 1);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(EventLoop, CancelTimer) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    bool cancelled_ran = false, first_ran = false;
    uint64_t victim = loop->add_timer_ms(20, [&] { cancelled_ran = true; });
    uint64_t early = loop->add_timer_ms(5, [&] {
        first_ran = true;
        EXPECT_TRUE(loop->cancel_timer(victim)); // cancel another from a callback
    });
    uint64_t doomed = loop->add_timer_ms(1, [&] { ADD_FAILURE() << "cancelled timer ran"; });
    ASSERT_NE(victim, 0u);
    ASSERT_NE(early, 0u);
    EXPECT_NE(victim, early);
    EXPECT_TRUE(loop->cancel_timer(doomed));
    EXPECT_FALSE(loop->cancel_timer(doomed)); // already cancelled
    EXPECT_FALSE(loop->cancel_timer(12345));  // never existed
    loop->add_timer_ms(50, [&] { loop->stop(); });
    EXPECT_EQ(loop->run(), 0);
    EXPECT_TRUE(first_ran);
    EXPECT_FALSE(cancelled_ran);
    EXPECT_FALSE(loop->cancel_timer(early)); // already fired
}

TEST(EventLoop, CancellingTheOnlyTimerDisarms) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    uint64_t id = loop->add_timer_ms(1, [] { ADD_FAILURE() << "cancelled timer ran"; });
    EXPECT_TRUE(loop->cancel_timer(id));
    usleep(5000);
    EXPECT_EQ(loop->dispatch(0), 0); // timerfd disarmed, not readable
}

TEST(EventLoop, Signal) {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    int got = 0;
    ASSERT_TRUE(loop->add_signal(SIGUSR1, [&](int signo) {
        got = signo;
        loop->stop();
    }));
    EXPECT_FALSE(loop->add_signal(SIGUSR1, [](int) {})); // duplicate
    ASSERT_EQ(kill(getpid(), SIGUSR1), 0);               // blocked, so it waits on the signalfd
    loop->add_timer_ms(5000, [&] { loop->stop(); });     // guard against a hang
    EXPECT_EQ(loop->run(), 0);
    EXPECT_EQ(got, SIGUSR1);
}
