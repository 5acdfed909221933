// The last kSamples latencies of one pipeline stage, in a fixed ring (no
// allocation per sample); percentiles are computed on a copy when asked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace vdmabuf::backend {

class LatencyRing {
public:
    static constexpr size_t kSamples = 4096;

    void add(uint64_t ns) {
        ring_[next_] = ns;
        next_ = (next_ + 1) % kSamples;
        if (count_ < kSamples)
            ++count_;
    }
    [[nodiscard]] size_t count() const { return count_; }
    // Nearest-rank percentile in microseconds; 0 without samples.
    [[nodiscard]] uint64_t percentile_us(double p) const;

private:
    std::array<uint64_t, kSamples> ring_{};
    size_t next_ = 0;
    size_t count_ = 0;
};

} // namespace vdmabuf::backend
