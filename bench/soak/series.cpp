#include "series.hpp"

#include <algorithm>

namespace vdmabuf::soak {
namespace {

double value(const Point& p, Quantity q) {
    switch (q) {
    case Quantity::fds: return p.fds;
    case Quantity::memfds: return p.memfds;
    case Quantity::rss_kib: return p.rss_kib;
    }
    return 0;
}

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
}

} // namespace

Trend trend(const Series& s, Quantity q, double warmup_s, size_t window) {
    std::vector<const Point*> pts;
    for (const Point& p : s.points)
        if (p.t >= warmup_s)
            pts.push_back(&p);
    Trend tr;
    tr.samples = pts.size();
    if (pts.empty())
        return tr;
    // Short runs: a third of the points each, so start and end stay apart.
    window = std::clamp<size_t>(window, 1, std::max<size_t>(1, pts.size() / 3));
    std::vector<double> first, last;
    for (size_t i = 0; i < window; ++i) {
        first.push_back(value(*pts[i], q));
        last.push_back(value(*pts[pts.size() - window + i], q));
    }
    tr.start = median(first);
    tr.end = median(last);
    tr.growth = tr.end - tr.start;
    double st = 0, sv = 0, stt = 0, stv = 0;
    for (const Point* p : pts) {
        double v = value(*p, q);
        tr.max = std::max(tr.max, v);
        st += p->t;
        sv += v;
        stt += p->t * p->t;
        stv += p->t * v;
    }
    const double n = double(pts.size());
    const double den = n * stt - st * st;
    tr.slope_per_min = den > 0 ? (n * stv - st * sv) / den * 60.0 : 0.0;
    return tr;
}

} // namespace vdmabuf::soak
