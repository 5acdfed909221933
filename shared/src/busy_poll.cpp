#include <vdmabuf/shared/busy_poll.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace vdmabuf {
namespace {

// The CPU set can change under us (taskset, cgroups); look again this often.
constexpr uint64_t kAffinityRecheckNs = 1'000'000'000;
// How crowded the machine is changes quickly, but reading it costs ~1 µs.
constexpr uint64_t kLoadRecheckNs = 1'000'000;

} // namespace

uint32_t BusyPoll::budget_from_env(uint32_t fallback) noexcept {
    const char* s = std::getenv("VDMABUF_BUSY_POLL_US");
    if (!s || !*s)
        return fallback;
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(s, &end, 10);
    if (errno || *end || *s == '-')
        return fallback;
    return static_cast<uint32_t>(std::min<unsigned long>(v, kMaxBudgetUs));
}

void BusyPoll::set_budget_us(uint32_t us) noexcept {
    budget_us_ = std::min(us, kMaxBudgetUs);
    if (budget_us_ && !loadavg_) {
        loadavg_.reset(open("/proc/loadavg", O_RDONLY | O_CLOEXEC));
        online_cpus_ = unsigned(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    }
}

bool BusyPoll::cpu_to_spare(uint64_t now) noexcept {
    if (now - affinity_checked_ns_ >= kAffinityRecheckNs) {
        affinity_checked_ns_ = now;
        cpu_set_t set;
        CPU_ZERO(&set);
        // On failure (a filter refusing the call) keep the last answer.
        if (sched_getaffinity(0, sizeof set, &set) == 0)
            several_cpus_ = CPU_COUNT(&set) > 1;
    }
    if (loadavg_ && now - load_checked_ns_ >= kLoadRecheckNs) {
        load_checked_ns_ = now;
        // "0.52 0.58 0.59 3/250 1234": the fourth field's first number is how many
        // tasks are runnable right now, machine-wide, this one included.
        char buf[128];
        const ssize_t n = pread(loadavg_.get(), buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = 0;
            unsigned running = 0;
            if (std::sscanf(buf, "%*s %*s %*s %u/", &running) == 1)
                uncrowded_ = running <= online_cpus_;
        }
    }
    return several_cpus_ && uncrowded_;
}

uint64_t BusyPoll::spin_until(uint64_t now, uint64_t limit_ns) noexcept {
    if (budget_us_ == 0 || now - last_activity_ns_ > kActiveWindowNs)
        return 0;
    if (!cpu_to_spare(now)) {
        ++counters_.crowded;
        return 0;
    }
    const uint64_t until = std::min(now + uint64_t{budget_us_} * 1000u, limit_ns);
    return until > now ? until : 0;
}

int busy_poll(BusyPoll& busy, pollfd* fds, nfds_t n, int timeout_ms) {
    const uint64_t start = now_ns();
    const uint64_t limit =
        timeout_ms < 0 ? UINT64_MAX : start + uint64_t(timeout_ms) * 1'000'000u;
    int r = 0;
    if (const uint64_t until = busy.spin_until(start, limit)) {
        busy.spin(until, [&] { return (r = ::poll(fds, n, 0)) != 0; });
        if (r < 0 && errno != EINTR)
            return r;
    }
    if (r <= 0) {
        int left = timeout_ms;
        if (timeout_ms > 0) {
            const uint64_t now = now_ns();
            left = now >= limit ? 0 : int((limit - now + 999'999u) / 1'000'000u);
        }
        r = ::poll(fds, n, left);
    }
    if (r > 0)
        busy.note_activity(now_ns());
    return r;
}

} // namespace vdmabuf
