#include <vdmabuf/shared/busy_poll.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sched.h>
#include <sys/resource.h>

namespace vdmabuf {
namespace {

// The CPU set can change under us (taskset, cgroups); look again this often.
constexpr uint64_t kCpuRecheckNs = 1'000'000'000;

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
}

bool BusyPoll::several_cpus(uint64_t now) noexcept {
    if (cpus_checked_ns_ && now - cpus_checked_ns_ < kCpuRecheckNs)
        return several_cpus_;
    cpus_checked_ns_ = now;
    cpu_set_t set;
    CPU_ZERO(&set);
    // On failure (a filter refusing the call) keep the last answer.
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        several_cpus_ = CPU_COUNT(&set) > 1;
    return several_cpus_;
}

bool BusyPoll::contended(uint64_t now) noexcept {
    if (now < quiet_until_ns_)
        return true;
    rusage ru{};
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        return false;
    const bool preempted = involuntary_switches_ >= 0 && ru.ru_nivcsw != involuntary_switches_;
    involuntary_switches_ = ru.ru_nivcsw;
    if (!preempted) {
        backoff_ns_ = 0;
        return false;
    }
    ++counters_.backoffs;
    backoff_ns_ = std::clamp(backoff_ns_ * 2, kMinBackoffNs, kMaxBackoffNs);
    quiet_until_ns_ = now + backoff_ns_;
    return true;
}

uint64_t BusyPoll::spin_until(uint64_t now, uint64_t limit_ns) noexcept {
    if (budget_us_ == 0 || now - last_activity_ns_ > kActiveWindowNs || !several_cpus(now) ||
        contended(now))
        return 0;
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
