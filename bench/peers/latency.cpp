// Client commit -> pixels with the final consumer, where those pixels can be
// read from outside while the path runs: only in the X11 window (Xvfb keeps
// the window's pixels in memory). The stamp the pattern client writes at its
// commit (CLOCK_MONOTONIC, pattern.hpp) is polled out of the window with
// XGetImage of its 5 pixels every 0.5 ms, after the CPU window (the polling
// costs Xvfb CPU). Latency = first seen - stamped; it includes up to one poll
// interval plus one XGetImage round trip.
#include "measure.hpp"

#include "pattern.hpp"

#include <vdmabuf/shared/time.hpp>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <algorithm>
#include <memory>
#include <unistd.h>

namespace vdmabuf::bench_peers {
namespace {

struct ImageDeleter {
    void operator()(XImage* i) const { XDestroyImage(i); }
};
using Image = std::unique_ptr<XImage, ImageDeleter>;
struct DisplayDeleter {
    void operator()(Display* d) const { XCloseDisplay(d); }
};

Image grab(Display* d, Window w, int x, int y, unsigned width, unsigned height) {
    return Image(XGetImage(d, w, x, y, width, height, AllPlanes, ZPixmap));
}

const uint8_t* bytes(const Image& i) {
    return reinterpret_cast<const uint8_t*>(i->data);
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())))];
}

void sample_x11(Running& r, Result& out, double seconds) {
    std::unique_ptr<Display, DisplayDeleter> d(XOpenDisplay(r.x11_display.c_str()));
    const Window w = d ? viewer_test::viewer_window(d.get()) : 0;
    XWindowAttributes a{};
    if (!w || !XGetWindowAttributes(d.get(), w, &a)) {
        out.latency_note = "n/a: the viewer's X11 window was not found";
        return;
    }
    Image whole = grab(d.get(), w, 0, 0, unsigned(a.width), unsigned(a.height));
    std::optional<pattern::Found> f;
    if (whole && whole->bits_per_pixel == 32)
        f = pattern::locate(bytes(whole), unsigned(a.width), unsigned(a.height),
                            unsigned(whole->bytes_per_line), true);
    if (!f) {
        out.latency_note = "n/a: the pattern was not found in the X11 window";
        return;
    }
    const int sx = int(f->x + f->layout.stamp_x()), sy = int(f->y + f->layout.stamp_y());
    std::vector<double> ms;
    uint32_t last = 0;
    bool first = true;
    const uint64_t end = now_ns() + uint64_t(seconds * 1e9);
    while (now_ns() < end) {
        Image strip = grab(d.get(), w, sx, sy, pattern::kStampPixels, 1);
        const uint64_t seen = now_ns();
        if (strip && pattern::get(bytes(strip), unsigned(strip->bytes_per_line), 0, 0) ==
                         pattern::kStampMagic) {
            auto px = [&](uint32_t i) {
                return pattern::get(bytes(strip), unsigned(strip->bytes_per_line), i, 0);
            };
            const uint32_t frame = px(1);
            const uint64_t stamped =
                uint64_t(px(2)) | uint64_t(px(3)) << 24 | uint64_t(px(4)) << 48;
            // The frame on screen when polling began arrived at an unknown time.
            if (!first && frame != last && seen > stamped)
                ms.push_back(double(seen - stamped) / 1e6);
            first = false;
            last = frame;
        }
        usleep(500);
    }
    if (ms.empty()) {
        out.latency_note = "n/a: no new frame seen in the X11 window";
        return;
    }
    out.latency_p50_ms = percentile(ms, 50);
    out.latency_p99_ms = percentile(ms, 99);
    out.latency_samples = ms.size();
    out.latency_note = "commit -> pixels in the X11 window (Xvfb), XGetImage polled every 0.5 ms";
}

} // namespace

void measure_latency(Running& r, Result& out, double seconds) {
    if (out.scenario.simple_shm) {
        out.latency_note = "n/a: weston-simple-shm stamps no commit time into its pixels";
        return;
    }
    switch (out.path) {
    case Path::vdmabuf_x11:
        sample_x11(r, out, seconds);
        return;
    case Path::vdmabuf_headless:
        out.latency_note = "n/a: the headless viewer's held frame is not readable from outside "
                           "(vdmabuf-bench-e2e measures commit -> held in-process)";
        return;
    default:
        out.latency_note = "n/a: weston's headless output cannot be read back per frame";
        return;
    }
}

} // namespace vdmabuf::bench_peers
