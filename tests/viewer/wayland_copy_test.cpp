// The Wayland window's middle fallback in a headless weston 10 (pixman):
// buffers the compositor cannot read from guest memory (vdmabufd refused
// writable fds; scattered extents) are copied by the viewer into wl_shm
// buffers of its own, only the damaged bytes (plus what the reused buffer
// missed), and go back to the guest at once. Weston's own screenshot must
// show every frame exactly, while the damage moves and guest buffers alternate.
// Skipped without weston.
#include "viewer_fixture.hpp"
#include "weston_screen.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace vdmabuf::viewer_test {
namespace {

constexpr uint32_t kWidth = 320, kHeight = 240;

// Frames 2, 3, ... each change one rectangle, presented as the frame's only
// damage. Any two in a row are disjoint or equal (frames 4 and 5).
const vdmabuf_rect kRects[] = {{40, 30, 64, 48},   {200, 100, 50, 60}, {10, 180, 100, 40},
                               {10, 180, 100, 40}, {150, 20, 30, 200}, {0, 0, 320, 10},
                               {300, 230, 20, 10}};

long long area(const vdmabuf_rect& r) {
    return (long long)r.width * r.height * 4;
}

bool same(const vdmabuf_rect& a, const vdmabuf_rect& b) {
    return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
}

// New pixels for frame k inside r, unlike any frame's before.
void paint(std::vector<uint8_t>& frame, const vdmabuf_rect& r, uint32_t k) {
    for (uint32_t y = r.y; y < r.y + r.height; ++y)
        for (uint32_t x = r.x; x < r.x + r.width; ++x) {
            const uint32_t v = 0xff000000u | ((k * 37) & 0xff) << 16 | ((x * 3 + k) & 0xff) << 8 |
                               ((y * 5) & 0xff);
            std::memcpy(frame.data() + (size_t(y) * kWidth + x) * 4, &v, 4);
        }
}

struct CopyRun {
    std::string log, json;
    std::vector<uint8_t> last; // the last frame, as the guest drew it
    std::optional<Image> png;  // the viewer's screenshot at exit
};

CopyRun run_copy(bool scattered, std::vector<std::string> daemon_args) {
    CopyRun out;
    Weston weston;
    EXPECT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    if (!run.start("viewer-test", scattered, std::move(daemon_args)))
        return out;
    harness::ExportedBuffer bufs[2] = {harness::export_pattern(*run.guest, kWidth, kHeight, 9),
                                       harness::export_pattern(*run.guest, kWidth, kHeight, 10)};
    std::vector<uint8_t> frame(bufs[0].memory->data(),
                               bufs[0].memory->data() + size_t(kWidth) * kHeight * 4);
    std::string stats = run.path("stats.json"), log = run.path("viewer.log");
    std::string png = run.path("last.png"), commands = run.path("commands");
    // The viewer's screenshot of each frame: the wl_shm buffer it handed to
    // weston, all of it. (Weston repaints only the damage, so its screen alone
    // would not show stale pixels outside it.)
    {
        std::string script = "screenshot " + run.path("shot-1.png") + "\n";
        for (size_t k = 2; k <= 1 + std::size(kRects); ++k)
            script += "wait-frames 1\nscreenshot " +
                      run.path("shot-" + std::to_string(k) + ".png") + "\n";
        std::FILE* f = std::fopen(commands.c_str(), "w");
        EXPECT_TRUE(f && std::fputs(script.c_str(), f) >= 0);
        if (f)
            std::fclose(f);
    }
    UniqueFd log_fd{::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    EXPECT_TRUE(log_fd);
    setenv("WAYLAND_DEBUG", "client", 1); // the requests the viewer sends, in its log
    const bool spawned = run.spawn_viewer({"--presenter", "wayland", "--stats-json", stats,
                                           "--screenshot", png, "--commands", commands},
                                          false, log_fd.get());
    unsetenv("WAYLAND_DEBUG");
    if (!spawned)
        return out;
    EXPECT_TRUE(run.guest->device->present(bufs[0].id, 0, 1, 0, {}));
    auto viewer_shows = [&](uint32_t k) {
        std::optional<Image> shot;
        const std::string path = run.path("shot-" + std::to_string(k) + ".png");
        (void)harness::pump_until(
            [&] { return access(path.c_str(), R_OK) == 0 && (shot = read_png(path.c_str())); },
            5000, {run.guest.get()}, {});
        EXPECT_TRUE(shot) << "no screenshot of frame " << k;
        if (shot) {
            EXPECT_EQ(diff_pixels(*shot, frame.data(), kWidth * 4), 0u)
                << "the viewer's wl_shm buffer of frame " << k << " is not the frame";
        }
    };
    EXPECT_TRUE(weston_shows(run, weston, frame.data(), kWidth * 4, kWidth, kHeight,
                             "/tmp/vdmabuf-viewer-wayland-copy-1.png"));
    viewer_shows(1);
    uint32_t k = 1;
    for (const vdmabuf_rect& r : kRects) {
        ++k;
        harness::ExportedBuffer& buf = bufs[(k - 1) % 2];
        // The guest writes a buffer only once it is back. The copy lets frame
        // k - 1 go at once, while it is still on the screen.
        EXPECT_TRUE(run.wait_releases(k - 1, 5000)) << "frame " << k - 1 << " was not released";
        paint(frame, r, k);
        std::memcpy(buf.memory->data(), frame.data(), frame.size());
        EXPECT_TRUE(run.guest->device->present(buf.id, 0, k, 0, std::span(&r, 1)));
        EXPECT_TRUE(weston_shows(run, weston, frame.data(), kWidth * 4, kWidth, kHeight,
                                 "/tmp/vdmabuf-viewer-wayland-copy-" + std::to_string(k) + ".png"))
            << "weston's screen does not show frame " << k << " exactly";
        viewer_shows(k);
    }
    run.viewer.stop(SIGTERM, 3000);
    EXPECT_TRUE(run.wait_releases(k, 5000));
    for (const auto& rel : run.guest->releases)
        EXPECT_EQ(rel.reason, uint32_t(VDMABUF_RELEASE_DONE)) << "seq " << rel.sequence;
    out.log = read_file(log);
    out.json = read_file(stats);
    out.png = read_png(png.c_str()); // the run's directory goes with it
    out.last = std::move(frame);
    return out;
}

// What the copy costs per frame: the first frame into each of the two
// buffers is whole; after that weston holds the buffer it shows, so the other
// one, a frame behind, gets the previous frame's rectangle and this one's.
std::vector<long long> expected_bytes() {
    std::vector<long long> out = {area({0, 0, kWidth, kHeight}), area({0, 0, kWidth, kHeight})};
    for (size_t i = 1; i < std::size(kRects); ++i)
        out.push_back(area(kRects[i]) + (same(kRects[i - 1], kRects[i]) ? 0 : area(kRects[i - 1])));
    return out;
}

void expect_copy_path(const CopyRun& r, const std::string& why) {
    EXPECT_NE(r.log.find("wl_shm pass-through not possible (" + why), std::string::npos) << r.log;
    EXPECT_NE(r.log.find("): wl_shm copy (the viewer copies only the damaged bytes"),
              std::string::npos);
    EXPECT_NE(r.json.find("\"import_path\": \"wl_shm copy\""), std::string::npos) << r.json;
    EXPECT_EQ(json_number(r.json, "frames"), 1 + (long long)std::size(kRects)) << r.json;
    EXPECT_EQ(json_numbers(r.json, "bytes_uploaded_per_frame"), expected_bytes()) << r.json;
    // Nothing waited for a wl_buffer.release: every guest buffer went back after its copy.
    EXPECT_EQ(json_number(r.json, "releases_after_wl_release"), 0) << r.json;
    // Each frame's rectangle is the surface damage of its attach.
    for (const vdmabuf_rect& d : kRects) {
        const std::string req = ".damage_buffer(" + std::to_string(d.x) + ", " +
                                std::to_string(d.y) + ", " + std::to_string(d.width) + ", " +
                                std::to_string(d.height) + ")";
        EXPECT_NE(r.log.find(req), std::string::npos) << "no wl_surface" << req;
    }
    // The viewer's own screenshot of a copied frame reads its copy.
    ASSERT_TRUE(r.png);
    EXPECT_EQ(diff_pixels(*r.png, r.last.data(), kWidth * 4), 0u);
}

TEST(ViewerWaylandCopy, RefusedWritableFdsTakeTheWlShmCopyAndSayWhy) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    expect_copy_path(run_copy(false, {"--no-writable-imports"}), "vdmabufd refused writable");
}

TEST(ViewerWaylandCopy, ScatteredBufferTakesTheWlShmCopyAndSaysWhy) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    expect_copy_path(run_copy(true, {}), "the buffer is scattered over several extents");
}

// Frames as fast as the guest gets its buffers back (at once, with the copy),
// each with a different rectangle of damage: how far behind each of the
// viewer's buffers is depends on when weston releases them, which this test
// does not control. The last frame, on weston's screen and in the viewer's
// buffer, must be exact all the same.
TEST(ViewerWaylandCopy, RapidFramesStayExact) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    ASSERT_TRUE(run.start("viewer-test", false, {"--no-writable-imports"}));
    harness::ExportedBuffer bufs[2] = {harness::export_pattern(*run.guest, kWidth, kHeight, 3),
                                       harness::export_pattern(*run.guest, kWidth, kHeight, 4)};
    std::vector<uint8_t> frame(bufs[0].memory->data(),
                               bufs[0].memory->data() + size_t(kWidth) * kHeight * 4);
    std::string stats = run.path("stats.json"), png = run.path("last.png");
    ASSERT_TRUE(
        run.spawn_viewer({"--presenter", "wayland", "--stats-json", stats, "--screenshot", png}));
    ASSERT_TRUE(run.guest->device->present(bufs[0].id, 0, 1, 0, {}));
    uint32_t seed = 12345;
    auto next = [&seed](uint32_t n) { // a fixed pseudo-random sequence
        seed = seed * 1103515245u + 12345u;
        return (seed >> 16) % n;
    };
    const uint32_t frames = 60;
    for (uint32_t k = 2; k <= frames; ++k) {
        ASSERT_TRUE(run.wait_releases(k - 1, 5000)) << "frame " << k - 1 << " was not released";
        const uint32_t x = next(kWidth - 1), y = next(kHeight - 1);
        const vdmabuf_rect r{x, y, 1 + next(kWidth - x), 1 + next(kHeight - y)};
        paint(frame, r, k);
        harness::ExportedBuffer& buf = bufs[(k - 1) % 2];
        std::memcpy(buf.memory->data(), frame.data(), frame.size());
        ASSERT_TRUE(run.guest->device->present(buf.id, 0, k, 0, std::span(&r, 1)));
    }
    EXPECT_TRUE(weston_shows(run, weston, frame.data(), kWidth * 4, kWidth, kHeight,
                             "/tmp/vdmabuf-viewer-wayland-copy-rapid.png"));
    run.viewer.stop(SIGTERM, 3000);
    EXPECT_TRUE(run.wait_releases(frames, 5000));
    const std::string json = read_file(stats);
    EXPECT_NE(json.find("\"import_path\": \"wl_shm copy\""), std::string::npos) << json;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(diff_pixels(*img, frame.data(), kWidth * 4), 0u)
        << "the viewer's last wl_shm buffer is not the last frame";
}

} // namespace
} // namespace vdmabuf::viewer_test
