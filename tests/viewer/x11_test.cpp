// vdmabuf-viewer --presenter x11 under Xvfb: the window shows the guest frame
// (read back with XGetImage) and releases flow. Skipped (77) without Xvfb.
#include "viewer_fixture.hpp"

#include <gtest/gtest.h>
// After gtest: Xlib #defines None, which gtest uses as a name.
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <csignal>

#include <cstdlib>
#include <unistd.h>

namespace vdmabuf::viewer_test {
namespace {

class Xvfb {
public:
    bool start() {
        for (int n = 90 + getpid() % 100; n < 400; n += 7) {
            std::string name = ":" + std::to_string(n);
            if (access(("/tmp/.X11-unix/X" + std::to_string(n)).c_str(), F_OK) == 0)
                continue;
            proc_ = ChildProcess::spawn({"/usr/bin/Xvfb", name, "-screen", "0", "800x600x24",
                                         "-nolisten", "tcp"});
            for (int i = 0; i < 100 && proc_; ++i) {
                if ((dpy_ = XOpenDisplay(name.c_str()))) {
                    name_ = name;
                    return true;
                }
                usleep(50000);
            }
        }
        return false;
    }
    ~Xvfb() {
        if (dpy_)
            XCloseDisplay(dpy_);
    }
    Display* dpy() const { return dpy_; }
    const std::string& name() const { return name_; }

private:
    ChildProcess proc_;
    Display* dpy_ = nullptr;
    std::string name_;
};

// The one top-level window (no window manager runs).
Window viewer_window(Display* d) {
    Window root_ret, parent, *children = nullptr;
    unsigned n = 0;
    XQueryTree(d, DefaultRootWindow(d), &root_ret, &parent, &children, &n);
    Window w = 0;
    for (unsigned i = 0; i < n; ++i) {
        XWindowAttributes a;
        if (XGetWindowAttributes(d, children[i], &a) && a.map_state == IsViewable)
            w = children[i];
    }
    if (children)
        XFree(children);
    return w;
}

TEST(ViewerX11, WindowShowsFrameAndReleasesFlow) {
    if (access("/usr/bin/Xvfb", X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(x.start()) << "Xvfb did not start";
    setenv("DISPLAY", x.name().c_str(), 1);
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 5);
    auto b = harness::export_pattern(*run.guest, w, h, 6);
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11"}));
    const int frames = 6;
    for (int seq = 1; seq <= frames; ++seq) {
        // Double-buffered: a buffer is presented again only once released.
        ASSERT_TRUE(run.wait_releases(size_t(std::max(0, seq - 2)), 10000)) << "frame " << seq;
        ASSERT_TRUE(run.guest->device->present((seq % 2 ? a : b).id, 0, uint64_t(seq), 0, {}));
    }
    // The last frame (b) stays on screen; the ones before it come back.
    ASSERT_TRUE(run.wait_releases(frames - 1, 10000)) << run.guest->releases.size();

    // The window sizes itself to the frame: 1:1, exact pixels.
    Display* d = x.dpy();
    XImage* img = nullptr;
    bool match = harness::pump_until(
        [&] {
            if (img)
                XDestroyImage(img);
            img = nullptr;
            Window win = viewer_window(d);
            XWindowAttributes wa;
            if (!win || !XGetWindowAttributes(d, win, &wa) || wa.width != int(w) ||
                wa.height != int(h))
                return false;
            img = XGetImage(d, win, 0, 0, w, h, AllPlanes, ZPixmap);
            if (!img)
                return false;
            for (uint32_t y = h / 4; y < 3 * h / 4; y += 7)
                for (uint32_t xx = w / 4; xx < 3 * w / 4; xx += 5) {
                    uint32_t want = reinterpret_cast<const uint32_t*>(
                                        b.memory->data() + size_t(y) * b.stride)[xx] & 0xffffff;
                    if ((uint32_t(XGetPixel(img, int(xx), int(y))) & 0xffffff) != want)
                        return false;
                }
            return true;
        },
        10000, {run.guest.get()}, {});
    if (img)
        XDestroyImage(img);
    EXPECT_TRUE(match) << "window pixels never matched the guest frame";
    run.viewer.stop(SIGTERM, 3000);
    ASSERT_TRUE(run.wait_releases(frames, 5000)) << "the shown frame is released at exit";
}

} // namespace
} // namespace vdmabuf::viewer_test
