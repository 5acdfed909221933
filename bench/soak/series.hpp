// One process's samples over a soak run and the figures drawn from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vdmabuf::soak {

struct Point {
    double t = 0; // seconds since the run started
    double fds = 0, memfds = 0, rss_kib = 0;
};

struct Series {
    std::string name;
    std::vector<Point> points;
};

// Figures of one quantity after the warm-up.
struct Trend {
    double start = 0, end = 0, max = 0; // start/end: medians of the first/last window
    double growth = 0;                  // end - start
    double slope_per_min = 0;           // least squares over every point
    size_t samples = 0;
};

enum class Quantity { fds, memfds, rss_kib };

// Points with t >= warmup_s; the windows are `window` points long (fewer if short).
[[nodiscard]] Trend trend(const Series& s, Quantity q, double warmup_s, size_t window);

} // namespace vdmabuf::soak
