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

// Nearest-rank percentile of sorted samples: the smallest sample such that at
// least p% (clamped to [0, 100]) of them are <= it; 0 when there are none.
[[nodiscard]] inline uint64_t nearest_rank(const std::vector<uint64_t>& sorted, double p) {
    if (sorted.empty())
        return 0;
    const double clamped = std::isnan(p) ? 0.0 : std::clamp(p, 0.0, 100.0);
    const size_t n = sorted.size();
    auto rank = static_cast<size_t>(std::ceil(clamped / 100.0 * static_cast<double>(n)));
    rank = std::clamp<size_t>(rank, 1, n);
    return sorted[rank - 1];
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
        finalize();
        return nearest_rank(samples_, p);
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

// Percentiles of the newest `window` samples only, in memory fixed at
// construction: for a process that measures for as long as it runs (a viewer at
// 60 fps would otherwise keep 3600 more samples a minute). Not thread-safe.
class RecentPercentiles {
public:
    explicit RecentPercentiles(size_t window) : window_(window == 0 ? 1 : window) {
        ring_.reserve(window_);
        sorted_.reserve(window_);
    }

    void add(uint64_t sample) {
        if (ring_.size() < window_) {
            ring_.push_back(sample);
        } else {
            ring_[next_] = sample; // the oldest
            next_ = (next_ + 1) % window_;
        }
        sorted_valid_ = false;
    }
    [[nodiscard]] size_t count() const noexcept { return ring_.size(); }

    // As Percentiles::percentile, over the window.
    [[nodiscard]] uint64_t percentile(double p) const {
        if (!sorted_valid_) {
            sorted_.assign(ring_.begin(), ring_.end()); // within the reserved capacity
            std::sort(sorted_.begin(), sorted_.end());
            sorted_valid_ = true;
        }
        return nearest_rank(sorted_, p);
    }
    [[nodiscard]] uint64_t median() const { return percentile(50.0); }

private:
    size_t window_;
    size_t next_ = 0;                  // ring_ slot of the oldest sample once full
    std::vector<uint64_t> ring_;       // arrival order
    mutable std::vector<uint64_t> sorted_; // a sorted copy, for queries
    mutable bool sorted_valid_ = true;
};

} // namespace vdmabuf
