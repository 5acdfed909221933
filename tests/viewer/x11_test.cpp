// vdmabuf-viewer --presenter x11 under Xvfb: the window shows the guest frame
// (read back with XGetImage) and releases flow. Skipped (77) without Xvfb.
#include "viewer_fixture.hpp"
#include "xvfb.hpp"

#include <gtest/gtest.h>
// After gtest: Xlib #defines None, which gtest uses as a name.
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <csignal>

#include <cstdlib>
#include <unistd.h>

namespace vdmabuf::viewer_test {
namespace {

TEST(ViewerX11, WindowShowsFrameAndReleasesFlow) {
    if (access(kXvfbPath, X_OK) != 0)
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
