// Bounded, adaptive busy-polling for the per-frame waits (as vhost-net's
// busyloop_timeout): while a loop is active, its next wait first polls without
// sleeping for up to budget µs, so a reply arriving within that time wakes no
// halted CPU (each such wake costs tens of µs on an idle machine). An idle loop
// blocks at once, so an idle process costs no CPU.
#pragma once

#include <vdmabuf/shared/time.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <cstdint>
#include <poll.h>

namespace vdmabuf {

class BusyPoll {
public:
    // Work older than this makes the loop idle again: no spin.
    static constexpr uint64_t kActiveWindowNs = 5'000'000;
    // The default budget of the client libraries and vdmabufd (see docs/busy-poll.md).
    // Off: at a paced 60 fps it cost ~100 µs of CPU per frame in each process and
    // made the round trip slower, not faster (docs/busy-poll.md).
    static constexpr uint32_t kDefaultBudgetUs = 0;
    static constexpr uint32_t kMaxBudgetUs = 10'000;
    // An iteration this long means the spinner was preempted: give the CPU back.
    static constexpr uint64_t kPreemptedNs = 20'000;

    explicit BusyPoll(uint32_t budget_us = 0) noexcept { set_budget_us(budget_us); }

    struct Counters {
        uint64_t spins = 0;    // waits that spun
        uint64_t found = 0;    // of those, the ones the spin answered
        uint64_t crowded = 0;  // waits that did not spin: no CPU to spare
    };
    [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

    // VDMABUF_BUSY_POLL_US (0 = off, clamped to kMaxBudgetUs) if set and valid, else fallback.
    [[nodiscard]] static uint32_t budget_from_env(uint32_t fallback = kDefaultBudgetUs) noexcept;

    void set_budget_us(uint32_t us) noexcept;
    [[nodiscard]] uint32_t budget_us() const noexcept { return budget_us_; }

    // The loop did something (a wait found work, a request went out): a reply is likely soon.
    void note_activity(uint64_t now) noexcept { last_activity_ns_ = now; }

    // Until when the next wait may spin (CLOCK_MONOTONIC ns), 0 for not at all: off,
    // idle, or no CPU to spare: this process may run on one CPU only, or more tasks
    // are runnable than there are CPUs. A spinner holding a CPU that a woken peer
    // (the very one it waits for) or anyone else needs only adds delay: the
    // scheduler queues the peer behind it. Never past limit_ns (the caller's
    // timeout or next timer).
    [[nodiscard]] uint64_t spin_until(uint64_t now, uint64_t limit_ns) noexcept;

    // Spins until ready() is true or spin_until's deadline passes; stops early when
    // an iteration took so long that another task must have had this CPU (the
    // userspace stand-in for the kernel's need_resched()). True if ready() was.
    template <class Ready> bool spin(uint64_t until, Ready&& ready);

    // One pause: cheap on the sibling hyperthread, kinder to the memory bus.
    static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }

private:
    [[nodiscard]] bool cpu_to_spare(uint64_t now) noexcept;

    uint32_t budget_us_ = 0;
    uint64_t last_activity_ns_ = 0;
    UniqueFd loadavg_; // /proc/loadavg, opened with the first budget (before a sandbox)
    uint64_t affinity_checked_ns_ = 0, load_checked_ns_ = 0;
    unsigned online_cpus_ = 1;
    bool several_cpus_ = true;
    bool uncrowded_ = true;
    Counters counters_;
};

template <class Ready> bool BusyPoll::spin(uint64_t until, Ready&& ready) {
    ++counters_.spins;
    uint64_t last = 0;
    for (;;) {
        if (ready()) {
            ++counters_.found;
            return true;
        }
        const uint64_t now = now_ns();
        if (now >= until || (last && now - last > kPreemptedNs))
            return false;
        last = now;
        relax();
    }
}

// poll(2) on fds that spins first (non-blocking polls) when busy says so, then
// blocks for what is left of timeout_ms (-1: forever). Returns as poll() does;
// a result > 0 counts as activity.
int busy_poll(BusyPoll& busy, pollfd* fds, nfds_t n, int timeout_ms);

} // namespace vdmabuf
