#include "hub/latency.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace vdmabuf::backend {

uint64_t LatencyRing::percentile_us(double p) const {
    if (count_ == 0)
        return 0;
    std::vector<uint64_t> v(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(count_));
    auto rank = static_cast<size_t>(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<size_t>(rank, 1, count_);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
    return v[rank - 1] / 1000u;
}

} // namespace vdmabuf::backend
