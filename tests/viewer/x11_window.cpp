#include "x11_window.hpp"

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vdmabuf::viewer_test {

std::pair<int, int> window_size(Display* d) {
    Window win = viewer_window(d);
    XWindowAttributes wa;
    if (!win || !XGetWindowAttributes(d, win, &wa))
        return {0, 0};
    return {wa.width, wa.height};
}

bool window_shows(Display* d, const Pixels& b, std::string* why) {
    Window win = viewer_window(d);
    auto [ww, wh] = window_size(d);
    if (!win || ww < int(b.width) || wh < int(b.height)) {
        *why = "window " + std::to_string(ww) + "x" + std::to_string(wh);
        return false;
    }
    XImage* img = XGetImage(d, win, 0, 0, unsigned(ww), unsigned(wh), AllPlanes, ZPixmap);
    if (!img) {
        *why = "XGetImage failed";
        return false;
    }
    const int ox = (ww - int(b.width)) / 2, oy = (wh - int(b.height)) / 2;
    size_t bad = 0;
    for (int y = 0; y < wh; ++y)
        for (int x = 0; x < ww; ++x) {
            const bool in = x >= ox && y >= oy && x < ox + int(b.width) && y < oy + int(b.height);
            uint32_t want = 0;
            if (in)
                std::memcpy(&want, b.data + size_t(y - oy) * b.stride + size_t(x - ox) * 4, 4);
            bad += (uint32_t(XGetPixel(img, x, y)) & 0xffffff) != (want & 0xffffff);
        }
    XDestroyImage(img);
    *why = std::to_string(bad) + " of " + std::to_string(ww * wh) + " pixels differ";
    return bad == 0;
}

bool window_shows(Display* d, const harness::ExportedBuffer& b, std::string* why) {
    return window_shows(d, Pixels{b.memory->data(), b.stride, b.width, b.height}, why);
}

bool wait_window_shows(ViewerRun& run, Display* d, const Pixels& frame, std::string* why) {
    return harness::pump_until([&] { return window_shows(d, frame, why); }, 10000,
                               {run.guest.get()}, {});
}

bool wait_window_shows(ViewerRun& run, Display* d, const harness::ExportedBuffer& b,
                       std::string* why) {
    return wait_window_shows(run, d, Pixels{b.memory->data(), b.stride, b.width, b.height}, why);
}

bool start_x(Xvfb& x) {
    if (!x.start())
        return false;
    // The viewer resizes its window whenever it likes: an XGetImage of the
    // size just queried may fail (BadMatch), which must not end the test
    // (Xlib's default handler exits); it returns nullptr and is tried again.
    XSetErrorHandler([](Display*, XErrorEvent*) { return 0; });
    setenv("DISPLAY", x.name().c_str(), 1);
    return true;
}

std::string viewer_log(const std::string& path) {
    std::string text = read_file(path);
    std::fprintf(stderr, "%s", text.c_str());
    return text;
}

} // namespace vdmabuf::viewer_test
