// Monotonic clock helpers and a latency-percentile collector for benchmarks and tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <vector>

namespace vdmabuf {

// CLOCK_MONOTONIC: never jumps with wall-clock changes, and is the clock
// timerfd and most frame timestamps (presentation-time, DRM) use.
[[nodiscard]] inline uint64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

[[nodiscard]] inline uint64_t now_us() noexcept {
    return now_ns() / 1000u;
}

// Collects samples and answers nearest-rank percentiles. Storage is reserved
// up front so add() does not allocate inside a measured loop. Sorting happens
// lazily on the first query after an add(), in place (the samples are a bag;
// their order carries no meaning). Not thread-safe.
class Percentiles {
public:
    explicit Percentiles(size_t expected = 1024) { samples_.reserve(expected); }

    void add(uint64_t sample) {
        samples_.push_back(sample);
        sorted_ = false;
    }
    void clear() noexcept {
        samples_.clear();
        sorted_ = true;
    }
    [[nodiscard]] size_t count() const noexcept { return samples_.size(); }

    // p in percent, [0, 100], clamped. Nearest rank: the smallest sample such
    // that at least p% of samples are <= it (p = 0 gives the minimum).
    // Returns 0 when there are no samples.
    [[nodiscard]] uint64_t percentile(double p) const {
        if (samples_.empty())
            return 0;
        finalize();
        double clamped = std::isnan(p) ? 0.0 : std::clamp(p, 0.0, 100.0);
        auto n = samples_.size();
        auto rank = static_cast<size_t>(std::ceil(clamped / 100.0 * static_cast<double>(n)));
        rank = std::clamp<size_t>(rank, 1, n);
        return samples_[rank - 1];
    }
    [[nodiscard]] uint64_t median() const { return percentile(50.0); }
    [[nodiscard]] uint64_t min() const { return percentile(0.0); }
    [[nodiscard]] uint64_t max() const { return percentile(100.0); }

    // Sorts now, so later queries are O(1); optional.
    void finalize() const {
        if (!sorted_) {
            std::sort(samples_.begin(), samples_.end());
            sorted_ = true;
        }
    }

private:
    // mutable: sorting is a cache of the same multiset, not a visible change.
    mutable std::vector<uint64_t> samples_;
    mutable bool sorted_ = true;
};

} // namespace vdmabuf
