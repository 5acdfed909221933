// Busy-polling must be bounded and must never run while idle: an idle daemon
// costs no CPU, and a spin never outlasts its budget, timeout or next timer.
#include <vdmabuf/shared/busy_poll.hpp>
#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

using namespace vdmabuf;

namespace {

uint64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// Scheduler and syscall noise allowed on top of what a test permits.
constexpr uint64_t kSlackNs = 3'000'000;

// A loop with busy-polling on that has just run a callback, i.e. is active.
struct ActiveLoop {
    std::unique_ptr<EventLoop> loop = EventLoop::create();
    UniqueFd r, w;

    explicit ActiveLoop(uint32_t budget_us) {
        int p[2];
        EXPECT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        r.reset(p[0]);
        w.reset(p[1]);
        loop->set_busy_poll_us(budget_us);
        EXPECT_TRUE(loop->add(r.get(), EPOLLIN, [this](uint32_t) {
            char buf[16];
            while (read(r.get(), buf, sizeof buf) > 0) {
            }
        }));
        EXPECT_EQ(write(w.get(), "x", 1), 1);
        EXPECT_EQ(loop->dispatch(-1), 1);
    }
};

} // namespace

TEST(BusyPoll, IdleLoopDoesNotSpin) {
    // Never active: 200 ms of dispatch(-1) waiting for a timer costs ~0 CPU.
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    loop->set_busy_poll_us(BusyPoll::kMaxBudgetUs);
    bool fired = false;
    loop->add_timer_ms(200, [&] { fired = true; });
    const uint64_t cpu0 = thread_cpu_ns(), t0 = now_ns();
    while (!fired)
        ASSERT_GE(loop->dispatch(-1), 0);
    EXPECT_GE(now_ns() - t0, 190'000'000u);
    EXPECT_LT(thread_cpu_ns() - cpu0, kSlackNs);
}

TEST(BusyPoll, ActiveLoopSpinsOnlyItsBudgetThenBlocks) {
    // Active, nothing to do: one spin of at most 2 ms, then a normal block until
    // the 200 ms timer fires.
    ActiveLoop a(2000);
    ASSERT_TRUE(a.loop);
    bool fired = false;
    a.loop->add_timer_ms(200, [&] { fired = true; });
    const uint64_t cpu0 = thread_cpu_ns(), t0 = now_ns();
    while (!fired)
        ASSERT_GE(a.loop->dispatch(-1), 0);
    EXPECT_GE(now_ns() - t0, 190'000'000u);
    EXPECT_LT(thread_cpu_ns() - cpu0, 2'000'000u + kSlackNs);
}

TEST(BusyPoll, SpinNeverOutlastsTheTimeout) {
    // A 10 ms budget but dispatch(5): back within ~5 ms, having used at most that.
    ActiveLoop a(10'000);
    ASSERT_TRUE(a.loop);
    const uint64_t cpu0 = thread_cpu_ns(), t0 = now_ns();
    EXPECT_EQ(a.loop->dispatch(5), 0);
    EXPECT_GE(now_ns() - t0, 4'000'000u); // no upper bound: a loaded machine may be late
    EXPECT_LT(thread_cpu_ns() - cpu0, 5'000'000u + kSlackNs);
}

TEST(BusyPoll, SpinStopsAtTheNextTimer) {
    // A 10 ms budget, a timer due in 2 ms: the wait spun no longer than until it.
    ActiveLoop a(10'000);
    ASSERT_TRUE(a.loop);
    bool fired = false;
    a.loop->add_timer_ms(2, [&] { fired = true; });
    const uint64_t cpu0 = thread_cpu_ns();
    while (!fired)
        ASSERT_GE(a.loop->dispatch(-1), 0);
    EXPECT_LT(thread_cpu_ns() - cpu0, 2'000'000u + kSlackNs);
}

TEST(BusyPoll, SpinFindsWorkWithoutBlocking) {
    // Work that is already there is found by the spin's first poll.
    ActiveLoop a(1000);
    ASSERT_TRUE(a.loop);
    ASSERT_EQ(write(a.w.get(), "y", 1), 1);
    EXPECT_EQ(a.loop->dispatch(-1), 1);
}

TEST(BusyPoll, OffOrIdleGivesNoSpin) {
    BusyPoll off(0);
    off.note_activity(now_ns());
    EXPECT_EQ(off.spin_until(now_ns(), UINT64_MAX), 0u);
    BusyPoll idle(50);
    EXPECT_EQ(idle.spin_until(now_ns(), UINT64_MAX), 0u); // no activity yet
    const uint64_t now = now_ns();
    idle.note_activity(now - BusyPoll::kActiveWindowNs - 1);
    EXPECT_EQ(idle.spin_until(now, UINT64_MAX), 0u); // activity too old
}

TEST(BusyPoll, SpinIsBoundedByBudgetAndLimit) {
    BusyPoll b(50);
    const uint64_t now = now_ns();
    b.note_activity(now);
    const uint64_t until = b.spin_until(now, UINT64_MAX);
    // 0 is allowed: one CPU only, or the thread was preempted (backing off).
    EXPECT_LE(until, now + 50'000u);
    EXPECT_EQ(b.spin_until(now, now), 0u); // a limit already reached: no spin
}

TEST(BusyPoll, BudgetFromEnvironment) {
    setenv("VDMABUF_BUSY_POLL_US", "0", 1);
    EXPECT_EQ(BusyPoll::budget_from_env(7), 0u);
    setenv("VDMABUF_BUSY_POLL_US", "80", 1);
    EXPECT_EQ(BusyPoll::budget_from_env(7), 80u);
    setenv("VDMABUF_BUSY_POLL_US", "99999999", 1);
    EXPECT_EQ(BusyPoll::budget_from_env(7), BusyPoll::kMaxBudgetUs);
    for (const char* bad : {"", "-1", "12x", "x"}) {
        setenv("VDMABUF_BUSY_POLL_US", bad, 1);
        EXPECT_EQ(BusyPoll::budget_from_env(7), 7u) << bad;
    }
    unsetenv("VDMABUF_BUSY_POLL_US");
    EXPECT_EQ(BusyPoll::budget_from_env(7), 7u);
}
