// vdmabuf-viewer --presenter x11 under Xvfb: the window shows the guest frame
// (read back with XGetImage) and releases flow; guest-memory frames go to the
// window by MIT-SHM puts (the viewer copies nothing, the guest gets a buffer
// back only after the server's ShmCompletion), and what cannot (a scattered
// buffer, a window smaller than the frame, --no-pass-through) is drawn with
// GL, the log saying why. Skipped (77) without Xvfb.
#include "viewer_fixture.hpp"
#include "x11_window.hpp"
#include "xvfb.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>
// After gtest: Xlib #defines None, which gtest uses as a name.
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
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

// The X server read the frame from guest memory: the window holds the guest's
// pixels exactly, and the viewer copied and drew nothing.
TEST(ViewerX11, PassThroughPutsGuestMemoryWithNoViewerCopy) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 5);
    auto b = harness::export_pattern(*run.guest, w, h, 6);
    const std::string stats = run.path("stats.json"), log = run.path("viewer.log");
    UniqueFd log_fd{::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11", "--stats-json", stats}, false, log_fd.get()));
    const int frames = 6;
    for (int seq = 1; seq <= frames; ++seq) {
        ASSERT_TRUE(run.wait_releases(size_t(std::max(0, seq - 2)), 10000)) << "frame " << seq;
        ASSERT_TRUE(run.guest->device->present((seq % 2 ? a : b).id, 0, uint64_t(seq), 0, {}));
    }
    std::string why;
    EXPECT_TRUE(wait_window_shows(run, x.dpy(), b, &why)) << why;
    // The server is done with a put once it completed: every frame came back,
    // the shown one too.
    EXPECT_TRUE(run.wait_releases(frames, 5000)) << run.guest->releases.size();
    // A window larger than the frame: 1:1 at its centre, black around it.
    XResizeWindow(x.dpy(), viewer_window(x.dpy()), 400, 300);
    XSync(x.dpy(), False);
    EXPECT_TRUE(wait_window_shows(run, x.dpy(), b, &why)) << why;
    run.viewer.stop(SIGTERM, 3000);
    for (const auto& r : run.guest->releases)
        EXPECT_EQ(r.reason, uint32_t(VDMABUF_RELEASE_DONE)) << "seq " << r.sequence;
    const std::string json = read_file(stats);
    EXPECT_NE(json.find("\"import_path\": \"x11_shm\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "frames"), frames) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
    // GL draws only the waiting window before the first frame (at start and
    // at its Expose), never a frame.
    EXPECT_LE(json_number(json, "draws").value_or(99), 2) << "GL drew a frame" << json;
    EXPECT_EQ(json_number(json, "releases_after_wl_release"), frames) << json;
    EXPECT_EQ(json_number(json, "releases_before_wl_release"), 0) << json;
    EXPECT_NE(viewer_log(log).find("import path: MIT-SHM over guest memory"), std::string::npos);
}

// The guest gets a buffer back only once the server has executed its put:
// with the server grabbed by another client it cannot have, so the frame
// stays held (a viewer that released on sending the put fails here); after
// the ungrab it comes back, RELEASE_DONE, and the window shows it.
TEST(ViewerX11, ReleaseWaitsForTheServersCompletion) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 7);
    auto b = harness::export_pattern(*run.guest, w, h, 8);
    const std::string stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11", "--stats-json", stats}));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    ASSERT_TRUE(run.wait_releases(1, 5000)) << "frame 1 never came back";
    std::string why;
    ASSERT_TRUE(wait_window_shows(run, x.dpy(), a, &why)) << why;

    Display* d = x.dpy();
    XGrabServer(d);
    XSync(d, False);
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    // Well within vdmabufd's 2 s release timeout.
    (void)run.wait_releases(2, 700);
    EXPECT_EQ(run.guest->releases.size(), 1u) << "frame 2 came back before the server read it";
    EXPECT_TRUE(window_shows(d, a, &why)) << "the window changed while the server was grabbed: " << why;
    XUngrabServer(d);
    XSync(d, False);
    ASSERT_TRUE(run.wait_releases(2, 5000)) << "frame 2 never came back after the ungrab";
    EXPECT_EQ(run.guest->releases[1].sequence, 2u);
    EXPECT_EQ(run.guest->releases[1].reason, uint32_t(VDMABUF_RELEASE_DONE));
    EXPECT_TRUE(wait_window_shows(run, d, b, &why)) << why;
    run.viewer.stop(SIGTERM, 3000);
    const std::string json = read_file(stats);
    EXPECT_EQ(json_number(json, "releases_after_wl_release"), 2) << json;
    EXPECT_EQ(json_number(json, "releases_before_wl_release"), 0) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
}

// A still screen: the server keeps the shown frame in a pixmap of its own at
// half the release timeout vdmabufd announced, and the guest gets the buffer
// back (DONE) before the daemon would take it (TIMEOUT). An Expose after that
// repaints from the pixmap: the window shows the frame, not what the guest
// has since written into its buffer. Without the pixmap the viewer would have
// to keep the buffer (TIMEOUT) or put it again from the guest's new pixels.
TEST(ViewerX11, StillFrameIsKeptByTheServerAndTheBufferGoesBack) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    const uint64_t timeout_ms = 3000;
    ASSERT_TRUE(run.start("viewer-test", false, {"--release-timeout", std::to_string(timeout_ms)}));
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 31);
    auto b = harness::export_pattern(*run.guest, w, h, 32);
    const std::string stats = run.path("stats.json"), png = run.path("still.png");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11", "--stats-json", stats, "--screenshot", png}));
    const uint64_t t0 = now_ns();
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    std::string why;
    ASSERT_TRUE(wait_window_shows(run, x.dpy(), a, &why)) << why;
    ASSERT_TRUE(run.wait_releases(1, int(timeout_ms) + 2000)) << "the still frame never came back";
    const uint64_t held_ms = (now_ns() - t0) / 1'000'000u;
    EXPECT_GE(held_ms, timeout_ms / 2 - 50) << "given back before half the announced timeout";
    EXPECT_LT(held_ms, timeout_ms) << "held until the daemon's timeout";
    EXPECT_EQ(run.guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_DONE));
    // The guest owns its buffer again and draws something else into it.
    const std::vector<uint8_t> shown(a.memory->data(), a.memory->data() + size_t(a.stride) * h);
    harness::fill_pattern(a.memory->data(), a.width, a.height, a.stride, 77);
    Display* d = x.dpy();
    const Window win = viewer_window(d);
    ASSERT_NE(win, 0u);
    XClearArea(d, win, 0, 0, 0, 0, True); // an Expose of the whole window
    XSync(d, False);
    harness::pump_until([] { return false; }, 300, {run.guest.get()}, {});
    EXPECT_TRUE(wait_window_shows(run, d, Pixels{shown.data(), a.stride, w, h}, &why))
        << "the Expose repainted from the guest's buffer: " << why;
    // The next frame comes from guest memory again.
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    EXPECT_TRUE(wait_window_shows(run, d, b, &why)) << why;
    run.viewer.stop(SIGTERM, 3000);
    ASSERT_TRUE(run.wait_releases(2, 5000));
    EXPECT_EQ(run.guest->releases[1].reason, uint32_t(VDMABUF_RELEASE_DONE));
    const std::string json = read_file(stats);
    EXPECT_NE(json.find("\"import_path\": \"x11_shm\""), std::string::npos) << json;
    EXPECT_GE(json_number(json, "copies_on_demand").value_or(0), 1) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
}

// Runs frames through the window and returns the viewer's log and stats.
struct GlRun {
    std::string log, json;
};
GlRun run_gl(Xvfb& x, bool scattered, std::vector<std::string> viewer_args) {
    GlRun out;
    ViewerRun run;
    if (!run.start("viewer-test", scattered))
        return out;
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 9);
    auto b = harness::export_pattern(*run.guest, w, h, 10);
    const std::string stats = run.path("stats.json"), log = run.path("viewer.log");
    UniqueFd log_fd{::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    viewer_args.insert(viewer_args.begin(), {"--presenter", "x11", "--stats-json", stats});
    if (!run.spawn_viewer(viewer_args, false, log_fd.get()))
        return out;
    EXPECT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    EXPECT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    EXPECT_TRUE(run.wait_releases(1, 5000));
    std::string why;
    EXPECT_TRUE(wait_window_shows(run, x.dpy(), b, &why)) << why;
    run.viewer.stop(SIGTERM, 3000);
    EXPECT_TRUE(run.wait_releases(2, 5000));
    out.log = viewer_log(log);
    out.json = read_file(stats);
    return out;
}

TEST(ViewerX11, ScatteredBufferTakesTheGlPathAndSaysWhy) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    GlRun r = run_gl(x, true, {});
    EXPECT_NE(r.log.find("x11_shm pass-through not possible (the buffer is scattered over several "
                         "extents"),
              std::string::npos);
    EXPECT_NE(r.json.find("\"import_path\": \"copy\""), std::string::npos) << r.json;
    EXPECT_GT(json_number(r.json, "bytes_uploaded_total").value_or(0), 0) << r.json;
    EXPECT_EQ(json_number(r.json, "releases_after_wl_release"), 0) << r.json;
}

TEST(ViewerX11, NoPassThroughDrawsWithGl) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    GlRun r = run_gl(x, false, {"--no-pass-through"});
    EXPECT_NE(r.log.find("MIT-SHM pass-through off (--no-pass-through)"), std::string::npos);
    EXPECT_EQ(r.log.find("import path: MIT-SHM"), std::string::npos);
    EXPECT_NE(r.json.find("\"import_path\": \"copy\""), std::string::npos) << r.json;
    EXPECT_GT(json_number(r.json, "bytes_uploaded_total").value_or(0), 0) << r.json;
}

// XShmPutImage does not scale: in a window smaller than the frame GL draws
// it (scaled), the log says why; at full size again the X server shows it.
TEST(ViewerX11, SmallerWindowTakesTheGlPathAndSaysWhy) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 11);
    auto b = harness::export_pattern(*run.guest, w, h, 12);
    const std::string stats = run.path("stats.json"), log = run.path("viewer.log");
    UniqueFd log_fd{::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11", "--no-resize", "--stats-json", stats},
                                 false, log_fd.get()));
    Display* d = x.dpy();
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    std::string why;
    ASSERT_TRUE(wait_window_shows(run, d, a, &why)) << why;
    XResizeWindow(d, viewer_window(d), 200, 150);
    XSync(d, False);
    // The shown frame too: GL takes over at the resize, the next frame stays there.
    EXPECT_TRUE(harness::pump_until([&] { return read_file(log).find("window is smaller") !=
                                                 std::string::npos; },
                                    5000, {run.guest.get()}, {}));
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    ASSERT_TRUE(run.wait_releases(2, 5000));
    // Scaled: the middle of the window is the middle of the frame, near enough.
    XImage* img = nullptr;
    EXPECT_TRUE(harness::pump_until(
        [&] {
            if (img)
                XDestroyImage(img);
            img = XGetImage(d, viewer_window(d), 100, 75, 1, 1, AllPlanes, ZPixmap);
            return img && (XGetPixel(img, 0, 0) & 0xffffff) != 0;
        },
        5000, {run.guest.get()}, {}))
        << "GL drew nothing into the small window";
    if (img)
        XDestroyImage(img);
    XResizeWindow(d, viewer_window(d), w, h);
    XSync(d, False);
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 3, 0, {}));
    EXPECT_TRUE(wait_window_shows(run, d, a, &why)) << why;
    run.viewer.stop(SIGTERM, 3000);
    ASSERT_TRUE(run.wait_releases(3, 5000));
    const std::string text = viewer_log(log);
    EXPECT_NE(text.find("x11_shm pass-through not possible (the window is smaller than the frame "
                        "and XShmPutImage does not scale): GL path"),
              std::string::npos);
    const std::string json = read_file(stats);
    // Frame 1 and 3 from guest memory, frame 2 uploaded.
    EXPECT_EQ(json_numbers(json, "bytes_uploaded_per_frame"),
              (std::vector<long long>{0, static_cast<long long>(w) * h * 4, 0}))
        << json;
    EXPECT_NE(json.find("\"import_path\": \"x11_shm\""), std::string::npos) << json;
}

// The PRESENT's damage is all the server reads of the next frame: frame 2
// differs from frame 1 everywhere but is presented with one rectangle of
// damage, so the window shows frame 2 there and frame 1 around it.
TEST(ViewerX11, PresentDamageLimitsThePut) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 13);
    auto b = harness::export_pattern(*run.guest, w, h, 14);
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11"}));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    std::string why;
    ASSERT_TRUE(wait_window_shows(run, x.dpy(), a, &why)) << why;
    const vdmabuf_rect rect{40, 30, 64, 48};
    std::vector<uint8_t> want(a.memory->data(), a.memory->data() + size_t(a.stride) * h);
    for (uint32_t y = rect.y; y < rect.y + rect.height; ++y)
        std::memcpy(want.data() + size_t(y) * a.stride + rect.x * 4,
                    b.memory->data() + size_t(y) * b.stride + rect.x * 4, rect.width * 4);
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, std::span(&rect, 1)));
    ASSERT_TRUE(run.wait_releases(2, 5000));
    EXPECT_TRUE(wait_window_shows(run, x.dpy(), Pixels{want.data(), a.stride, w, h}, &why)) << why;
    run.viewer.stop(SIGTERM, 3000);
}

// vdmabufd restarts with a new guest (new memory, new inode): the viewer
// drops its segments and puts the new guest's frame from its memory.
TEST(ViewerX11, PassThroughResumesAfterDaemonRestart) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    ASSERT_TRUE(run.start("first"));
    auto a = harness::export_pattern(*run.guest, 240, 120, 3);
    const std::string stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11", "--stats-json", stats}, /*reconnect=*/true));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    std::string why;
    ASSERT_TRUE(wait_window_shows(run, x.dpy(), a, &why)) << why;
    ASSERT_EQ(kill(run.daemon->pid(), SIGKILL), 0);
    ASSERT_TRUE(harness::pump_until([&] { return !run.daemon->alive(); }, 5000, {}, {}));
    run.guest.reset();
    ChildProcess daemon2 = ChildProcess::spawn(
        {harness::vdmabufd_path(), "--guest-socket", run.daemon->guest_socket(),
         "--consumer-socket", run.daemon->consumer_socket()});
    ASSERT_TRUE(daemon2 && daemon2.wait_for_line("vdmabufd: ready", 5000));
    frontend::DeviceOptions opts;
    opts.name = "second";
    opts.memory_size = 64 << 20;
    run.guest = harness::GuestActor::open(run.daemon->guest_socket(), opts);
    ASSERT_TRUE(run.guest);
    // Smaller than the window the first frame sized: 1:1 with bars.
    auto b = harness::export_pattern(*run.guest, 200, 100, 9);
    // Until the viewer is back vdmabufd hands PRESENTs straight back.
    bool shown = false;
    for (uint64_t seq = 1; seq < 100 && !shown; ++seq) {
        const size_t before = run.guest->releases.size();
        ASSERT_TRUE(run.guest->device->present(b.id, 0, seq, 0, {}));
        ASSERT_TRUE(run.wait_releases(before + 1, 5000));
        shown = window_shows(x.dpy(), b, &why);
        (void)harness::pump_until([] { return false; }, 50, {run.guest.get()}, {});
    }
    EXPECT_TRUE(shown || wait_window_shows(run, x.dpy(), b, &why)) << why;
    run.viewer.stop(SIGTERM, 3000);
    const std::string json = read_file(stats);
    EXPECT_GE(json_number(json, "reconnects").value_or(0), 1) << json;
    EXPECT_NE(json.find("\"import_path\": \"x11_shm\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
}

} // namespace
} // namespace vdmabuf::viewer_test
