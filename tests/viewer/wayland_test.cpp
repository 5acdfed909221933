// vdmabuf-viewer --presenter wayland in a headless weston 10 (pixman): the
// viewer uses the Wayland presenter, frames flow, every PRESENT comes back,
// and the window on weston's screen shows the guest frame (weston-screenshooter,
// which needs weston --debug). Skipped without weston.
#include "viewer_fixture.hpp"
#include "weston_screen.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vdmabuf::viewer_test {
namespace {

TEST(ViewerWayland, WindowShowsFrameAndReleasesFlow) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 5);
    auto b = harness::export_pattern(*run.guest, w, h, 6);
    std::string stats = run.path("stats.json"), png = run.path("window.png");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "wayland", "--stats-json", stats, "--screenshot", png}));
    const int frames = 6;
    for (int seq = 1; seq <= frames; ++seq) {
        // Double-buffered: a buffer is presented again only once released.
        ASSERT_TRUE(run.wait_releases(size_t(std::max(0, seq - 2)), 10000)) << "frame " << seq;
        ASSERT_TRUE(run.guest->device->present((seq % 2 ? a : b).id, 0, uint64_t(seq), 0, {}));
    }
    ASSERT_TRUE(run.wait_releases(frames - 1, 10000)) << run.guest->releases.size();

    // The compositor's own picture of the screen: the window holds frame b 1:1.
    bool shown = false;
    std::optional<Image> last;
    harness::pump_until(
        [&] {
            last = screenshot(weston.dir());
            shown = last && screen_shows(*last, b.memory->data(), b.stride, w, h);
            return shown;
        },
        10000, {run.guest.get()}, {});
    EXPECT_TRUE(last) << "weston-screenshooter produced no PNG";
    // Kept for a look: the run directory goes with the daemon.
    const std::string kept = "/tmp/vdmabuf-viewer-wayland-screen.png";
    if (last && !shown)
        (void)write_png(kept.c_str(), *last);
    EXPECT_TRUE(shown) << "weston's screen never showed the guest frame; last screenshot: " << kept;

    run.viewer.stop(SIGTERM, 3000);
    ASSERT_TRUE(run.wait_releases(frames, 5000)) << "the shown frame is released at exit";
    for (const auto& r : run.guest->releases)
        EXPECT_EQ(r.reason, uint32_t(VDMABUF_RELEASE_DONE)) << "seq " << r.sequence;
    std::string json = read_file(stats);
    EXPECT_NE(json.find("\"presenter\": \"wayland\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "frames"), frames) << json;
    // Pass-through: the compositor read guest memory; the viewer copied
    // nothing, and every buffer went back after its wl_buffer.release.
    EXPECT_NE(json.find("\"import_path\": \"wl_shm\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
    EXPECT_EQ(json_number(json, "releases_after_wl_release"), frames) << json;
    EXPECT_EQ(json_number(json, "releases_before_wl_release"), 0) << json;
    // The viewer's own readback of the imported frame (window mode renders it offscreen).
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(diff_pixels(*img, b.memory->data(), b.stride), 0u);
}

// The compositor keeps reading a wl_shm buffer while it shows it: the guest
// gets frame 1 back only once frame 2 was committed and the compositor
// released frame 1's wl_buffer, and frame 2 stays held while it is shown.
TEST(ViewerWayland, ReleaseFollowsWlBufferRelease) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    // A shown frame is copied out at half the release timeout: not in this test.
    ASSERT_TRUE(run.start("viewer-test", false, {"--release-timeout", "600000"}));
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 7);
    auto b = harness::export_pattern(*run.guest, w, h, 8);
    std::string stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "wayland", "--stats-json", stats}));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    EXPECT_TRUE(weston_shows(run, weston, a, w, h, "/tmp/vdmabuf-viewer-wayland-a.png"));
    // Shown, so held: well within the daemon's 2 s release timeout.
    (void)run.wait_releases(1, 500);
    EXPECT_EQ(run.guest->releases.size(), 0u) << "frame 1 came back while the compositor showed it";
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    ASSERT_TRUE(run.wait_releases(1, 5000));
    EXPECT_EQ(run.guest->releases[0].sequence, 1u);
    EXPECT_EQ(run.guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_DONE));
    EXPECT_TRUE(weston_shows(run, weston, b, w, h, "/tmp/vdmabuf-viewer-wayland-b.png"));
    (void)run.wait_releases(2, 500);
    EXPECT_EQ(run.guest->releases.size(), 1u) << "frame 2 came back while the compositor showed it";

    run.viewer.stop(SIGTERM, 3000);
    ASSERT_TRUE(run.wait_releases(2, 5000)) << "the shown frame is released at exit";
    EXPECT_EQ(run.guest->releases[1].reason, uint32_t(VDMABUF_RELEASE_DONE));
    std::string json = read_file(stats);
    EXPECT_EQ(json_number(json, "releases_after_wl_release"), 2) << json;
    EXPECT_EQ(json_number(json, "releases_before_wl_release"), 0) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
}

// A still screen: the frame the compositor shows from guest memory is copied
// into the viewer's own wl_shm buffer at half the release timeout vdmabufd
// announced, and the guest gets its buffer back (DONE, after the compositor's
// wl_buffer.release) before the daemon would take it (TIMEOUT). The window
// keeps the picture, and the next frame is shown from guest memory again.
TEST(ViewerWayland, StillFrameIsCopiedOutBeforeTheReleaseTimeout) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    const uint64_t timeout_ms = 3000;
    ASSERT_TRUE(run.start("viewer-test", false, {"--release-timeout", std::to_string(timeout_ms)}));
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 21);
    auto b = harness::export_pattern(*run.guest, w, h, 22);
    std::string stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "wayland", "--stats-json", stats}));
    const uint64_t t0 = now_ns();
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    ASSERT_TRUE(run.wait_releases(1, int(timeout_ms) + 2000)) << "the still frame never came back";
    const uint64_t held_ms = (now_ns() - t0) / 1'000'000u;
    EXPECT_GE(held_ms, timeout_ms / 2 - 50) << "copied out before half the announced timeout";
    EXPECT_LT(held_ms, timeout_ms) << "held until the daemon's timeout";
    EXPECT_EQ(run.guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_DONE));
    const std::vector<uint8_t> shown(a.memory->data(), a.memory->data() + size_t(a.stride) * h);
    EXPECT_TRUE(weston_shows(run, weston, shown.data(), a.stride, w, h,
                             "/tmp/vdmabuf-viewer-wayland-still.png"))
        << "the picture went with the guest's buffer";
    // The guest may write its buffer now; the next frame comes from guest memory.
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    EXPECT_TRUE(weston_shows(run, weston, b, w, h, "/tmp/vdmabuf-viewer-wayland-still-b.png"));
    run.viewer.stop(SIGTERM, 3000);
    ASSERT_TRUE(run.wait_releases(2, 5000));
    EXPECT_EQ(run.guest->releases[1].reason, uint32_t(VDMABUF_RELEASE_DONE));
    std::string json = read_file(stats);
    EXPECT_NE(json.find("\"import_path\": \"wl_shm\""), std::string::npos) << json;
    EXPECT_GE(json_number(json, "copies_on_demand").value_or(0), 1) << json;
    EXPECT_EQ(json_number(json, "bytes_copied_on_demand").value_or(0) %
                  ((long long)a.stride * h), 0) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
}

// The PRESENT's damage becomes the wl_surface damage of the attach (buffer
// coordinates): frame 2 differs from frame 1 in one rectangle, presented with
// just that rectangle as damage, and weston's screen shows frame 2 exactly.
TEST(ViewerWayland, PresentDamageBecomesSurfaceDamage) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 11);
    auto b = harness::export_pattern(*run.guest, w, h, 11);
    const vdmabuf_rect rect{40, 30, 64, 48};
    for (uint32_t y = rect.y; y < rect.y + rect.height; ++y)
        for (uint32_t x = rect.x; x < rect.x + rect.width; ++x) {
            const uint32_t green = 0xff00ff00u;
            std::memcpy(b.memory->data() + size_t(y) * b.stride + x * 4, &green, 4);
        }
    std::string log = run.path("viewer.log");
    UniqueFd log_fd{::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    ASSERT_TRUE(log_fd);
    setenv("WAYLAND_DEBUG", "client", 1); // the requests the viewer sends, in its log
    const bool spawned = run.spawn_viewer({"--presenter", "wayland"}, false, log_fd.get());
    unsetenv("WAYLAND_DEBUG");
    ASSERT_TRUE(spawned);
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    EXPECT_TRUE(weston_shows(run, weston, a, w, h, "/tmp/vdmabuf-viewer-wayland-damage-a.png"));
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, std::span(&rect, 1)));
    ASSERT_TRUE(run.wait_releases(1, 5000));
    EXPECT_TRUE(weston_shows(run, weston, b, w, h, "/tmp/vdmabuf-viewer-wayland-damage-b.png"));
    run.viewer.stop(SIGTERM, 3000);
    const std::string text = read_file(log);
    EXPECT_NE(text.find(".damage_buffer(40, 30, 64, 48)"), std::string::npos)
        << "no wl_surface.damage_buffer of the PRESENT's rectangle in the viewer's requests";
}

// Where the viewer may not hand frames to the compositor at all
// (--no-pass-through), neither over guest memory nor as its own copy: GL
// draws every frame, and the log says why.
TEST(ViewerWayland, NoPassThroughTakesTheGlPathAndSaysWhy) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    ASSERT_TRUE(run.start("viewer-test", false, {"--no-writable-imports"}));
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 9);
    auto b = harness::export_pattern(*run.guest, w, h, 10);
    std::string stats = run.path("stats.json"), log = run.path("viewer.log");
    UniqueFd log_fd{::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    ASSERT_TRUE(log_fd);
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "wayland", "--no-pass-through", "--stats-json",
                                  stats},
                                 false, log_fd.get()));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    EXPECT_TRUE(weston_shows(run, weston, a, w, h, "/tmp/vdmabuf-viewer-wayland-gl-a.png"));
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    ASSERT_TRUE(run.wait_releases(1, 5000));
    EXPECT_TRUE(weston_shows(run, weston, b, w, h, "/tmp/vdmabuf-viewer-wayland-gl-b.png"));
    run.viewer.stop(SIGTERM, 3000);
    EXPECT_TRUE(run.wait_releases(2, 5000));
    const std::string text = read_file(log), json = read_file(stats);
    EXPECT_NE(text.find("no wl_shm pass-through nor wl_shm copy (--no-pass-through)"),
              std::string::npos)
        << text;
    EXPECT_NE(json.find("\"import_path\": \"copy\""), std::string::npos) << json;
    // GL uploads: the first frame whole (a new texture), the second whole (no damage).
    EXPECT_EQ(json_numbers(json, "bytes_uploaded_per_frame"),
              (std::vector<long long>{w * h * 4, w * h * 4}))
        << json;
    EXPECT_EQ(json_number(json, "releases_after_wl_release"), 0) << json;
}

} // namespace
} // namespace vdmabuf::viewer_test
