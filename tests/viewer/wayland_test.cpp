// vdmabuf-viewer --presenter wayland in a headless weston 10 (pixman): the
// viewer uses the Wayland presenter, frames flow, every PRESENT comes back,
// and the window on weston's screen shows the guest frame (weston-screenshooter,
// which needs weston --debug). Skipped without weston.
#include "viewer_fixture.hpp"
#include "weston.hpp"

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

const char* const kScreenshooter = "/usr/bin/weston-screenshooter";

// weston-screenshooter writes wayland-screenshot-<date>.png into its cwd.
std::optional<Image> screenshot(const std::string& dir) {
    std::string shots = dir + "/shots";
    mkdir(shots.c_str(), 0700);
    std::string cmd = "cd '" + shots + "' && rm -f *.png && " + kScreenshooter + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
        return std::nullopt;
    DIR* d = opendir(shots.c_str());
    std::optional<Image> img;
    while (dirent* e = d ? readdir(d) : nullptr)
        if (std::strstr(e->d_name, ".png"))
            img = read_png((shots + "/" + e->d_name).c_str());
    if (d)
        closedir(d);
    return img;
}

// Where on the screen the frame sits 1:1 (desktop-shell places the window);
// true when at one offset every pixel of the frame matches exactly.
bool screen_shows(const Image& screen, const harness::ExportedBuffer& b, uint32_t w, uint32_t h) {
    auto px = [](const uint8_t* base, uint32_t stride, uint32_t x, uint32_t y) {
        uint32_t v;
        std::memcpy(&v, base + size_t(y) * stride + x * 4, 4);
        return v & 0xffffff;
    };
    const uint8_t* g = b.memory->data();
    const uint8_t* s = screen.pixels.data();
    for (uint32_t oy = 0; oy + h <= screen.height; ++oy)
        for (uint32_t ox = 0; ox + w <= screen.width; ++ox) {
            if (px(s, screen.stride, ox, oy) != px(g, b.stride, 0, 0))
                continue;
            bool all = true;
            for (uint32_t y = 0; y < h && all; ++y)
                for (uint32_t x = 0; x < w && all; ++x)
                    all = px(s, screen.stride, ox + x, oy + y) == px(g, b.stride, x, y);
            if (all)
                return true;
        }
    return false;
}

// A headless weston (pixman) the viewer and weston-screenshooter find
// through the environment.
bool start_weston(Weston& weston) {
    if (!weston.start({"--backend=headless-backend.so", "--use-pixman", "--width", "800",
                       "--height", "600", "--debug"}))
        return false;
    setenv("XDG_RUNTIME_DIR", weston.dir().c_str(), 1);
    setenv("WAYLAND_DISPLAY", weston.socket().c_str(), 1);
    unsetenv("DISPLAY");
    return true;
}

// Until weston's own screenshot shows `b` 1:1 and exact (10 s).
bool weston_shows(ViewerRun& run, Weston& weston, const harness::ExportedBuffer& b, uint32_t w,
                  uint32_t h, const std::string& keep_as) {
    bool shown = false;
    std::optional<Image> last;
    harness::pump_until(
        [&] {
            last = screenshot(weston.dir());
            shown = last && screen_shows(*last, b, w, h);
            return shown;
        },
        10000, {run.guest.get()}, {});
    if (last && !shown)
        (void)write_png(keep_as.c_str(), *last);
    return shown;
}

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
            shown = last && screen_shows(*last, b, w, h);
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
    ASSERT_TRUE(run.start());
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

// Runs two frames of one buffer kind through the window and returns the
// viewer's log and stats; the screen must show the frame exactly either way.
struct FallbackRun {
    std::string log, json;
};
FallbackRun run_fallback(bool scattered, std::vector<std::string> daemon_args) {
    FallbackRun out;
    Weston weston;
    EXPECT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    if (!run.start("viewer-test", scattered, std::move(daemon_args)))
        return out;
    const uint32_t w = 320, h = 240;
    auto a = harness::export_pattern(*run.guest, w, h, 9);
    auto b = harness::export_pattern(*run.guest, w, h, 10);
    std::string stats = run.path("stats.json"), log = run.path("viewer.log");
    UniqueFd log_fd{::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    EXPECT_TRUE(log_fd);
    if (!run.spawn_viewer({"--presenter", "wayland", "--stats-json", stats}, false, log_fd.get()))
        return out;
    EXPECT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    EXPECT_TRUE(run.wait_releases(0, 100));
    EXPECT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    EXPECT_TRUE(run.wait_releases(1, 5000));
    EXPECT_TRUE(weston_shows(run, weston, b, w, h, "/tmp/vdmabuf-viewer-wayland-fallback.png"));
    run.viewer.stop(SIGTERM, 3000);
    EXPECT_TRUE(run.wait_releases(2, 5000));
    out.log = read_file(log);
    out.json = read_file(stats);
    std::fprintf(stderr, "%s", out.log.c_str());
    return out;
}

TEST(ViewerWayland, ScatteredBufferTakesTheGlPathAndSaysWhy) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    FallbackRun r = run_fallback(true, {});
    EXPECT_NE(r.log.find("wl_shm pass-through not possible (the buffer is scattered over several extents"),
              std::string::npos);
    EXPECT_NE(r.json.find("\"import_path\": \"copy\""), std::string::npos) << r.json;
    EXPECT_GT(json_number(r.json, "bytes_uploaded_total").value_or(0), 0) << r.json;
    EXPECT_EQ(json_number(r.json, "releases_after_wl_release"), 0) << r.json;
}

TEST(ViewerWayland, RefusedWritableFdsTakeTheGlPathAndSayWhy) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    FallbackRun r = run_fallback(false, {"--no-writable-imports"});
    EXPECT_NE(r.log.find("wl_shm pass-through not possible (vdmabufd refused writable"),
              std::string::npos);
    EXPECT_NE(r.json.find("\"import_path\": \"copy\""), std::string::npos) << r.json;
    EXPECT_GT(json_number(r.json, "bytes_uploaded_total").value_or(0), 0) << r.json;
}

} // namespace
} // namespace vdmabuf::viewer_test
