// vdmabuf-viewer --presenter headless where vdmabufd hands out guest memory
// (memfd, every machine without /dev/udmabuf): the newest frame's buffer is
// held and read only on demand. No bytes are copied per frame; a screenshot
// is still the guest frame byte for byte; the previous frame goes back to the
// guest when the next arrives; the last frame outlives its guest and vdmabufd.
#include "viewer_fixture.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>

namespace vdmabuf::viewer_test {
namespace {

using harness::export_pattern;

std::vector<uint8_t> pixels_of(const harness::ExportedBuffer& b) {
    return {b.memory->data(), b.memory->data() + size_t(b.stride) * b.height};
}

TEST(ViewerHeld, NoBytesPerFrameExactScreenshotReleasesInOrder) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 320, h = 200;
    harness::ExportedBuffer bufs[3] = {export_pattern(*run.guest, w, h, 1),
                                       export_pattern(*run.guest, w, h, 2),
                                       export_pattern(*run.guest, w, h, 3)};
    const int frames = 12;
    std::string png = run.path("held.png"), stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--frames", std::to_string(frames),
                                  "--screenshot", png, "--stats-json", stats}));
    ASSERT_TRUE(run.guest->device->present(bufs[1].id, 0, 1, 0, {}));
    // Held, not copied and released at once (the viewer copies out only a
    // frame still shown after 100 ms).
    harness::pump_until([] { return false; }, 40, {run.guest.get()}, {});
    EXPECT_EQ(run.guest->releases.size(), 0u) << "the shown frame is held";
    for (int seq = 2; seq <= frames; ++seq) {
        ASSERT_TRUE(run.guest->device->present(bufs[seq % 3].id, 0, uint64_t(seq), 0, {}));
        // The newer frame releases the one before it.
        ASSERT_TRUE(run.wait_releases(size_t(seq - 1), 10000)) << "frame " << seq;
        EXPECT_EQ(run.guest->releases[size_t(seq - 2)].sequence, uint64_t(seq - 1));
    }
    const std::vector<uint8_t> last = pixels_of(bufs[frames % 3]);
    int status = run.wait_viewer_exit(20000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    ASSERT_TRUE(run.wait_releases(frames, 5000));
    for (size_t i = 0; i < run.guest->releases.size(); ++i) {
        EXPECT_EQ(run.guest->releases[i].sequence, uint64_t(i + 1)) << "release order";
        EXPECT_EQ(run.guest->releases[i].reason, uint32_t(VDMABUF_RELEASE_DONE));
    }

    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    ASSERT_EQ(img->width, w);
    ASSERT_EQ(img->height, h);
    EXPECT_EQ(diff_pixels(*img, last.data(), bufs[0].stride), 0u);
    std::string json = read_file(stats);
    EXPECT_NE(json.find("\"import_path\": \"held\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0ll) << json;
    std::vector<long long> per_frame = json_numbers(json, "bytes_uploaded_per_frame");
    EXPECT_EQ(per_frame, std::vector<long long>(frames, 0)) << json;
    // The screenshot's copy, and maybe one of a frame held half the release timeout.
    const long long frame_bytes = (long long)w * h * 4;
    const long long copies = json_number(json, "copies_on_demand").value_or(-1);
    EXPECT_GE(copies, 1) << json;
    EXPECT_EQ(json_number(json, "bytes_copied_on_demand"), copies * frame_bytes) << json;
    EXPECT_EQ(json_number(json, "draws"), 0ll) << json;
}

// A still guest: the held frame is copied out and released at half of the
// release timeout vdmabufd announced in WELCOME, before the daemon would take
// it (reason TIMEOUT); not at the 100 ms the viewer assumes when not told.
TEST(ViewerHeld, StillFrameIsCopiedOutAndReleasedBeforeTimeout) {
    ViewerRun run;
    const uint64_t timeout_ms = 800;
    ASSERT_TRUE(run.start("viewer-test", false, {"--release-timeout", std::to_string(timeout_ms)}));
    auto buf = export_pattern(*run.guest, 160, 90, 6);
    std::string png = run.path("still.png");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--screenshot", png}));
    const uint64_t t0 = now_ns();
    ASSERT_TRUE(run.guest->device->present(buf.id, 0, 1, 0, {}));
    ASSERT_TRUE(run.wait_releases(1, 3000)) << "still frame never released";
    const uint64_t held_ms = (now_ns() - t0) / 1'000'000u;
    EXPECT_GE(held_ms, timeout_ms / 2 - 50) << "copied out before half the announced timeout";
    EXPECT_LT(held_ms, timeout_ms) << "held past the timeout";
    EXPECT_EQ(run.guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_DONE));
    // The guest may now write it: the viewer shows its own copy.
    const std::vector<uint8_t> shown = pixels_of(buf);
    harness::fill_pattern(buf.memory->data(), buf.width, buf.height, buf.stride, 77);
    int status = run.viewer.stop(SIGTERM, 5000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(diff_pixels(*img, shown.data(), buf.stride), 0u);
}

TEST(ViewerHeld, LastFrameSurvivesGuestDisconnect) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto a = export_pattern(*run.guest, 200, 100, 4);
    auto b = export_pattern(*run.guest, 200, 100, 5);
    const uint32_t stride = b.stride;
    std::string png = run.path("gone.png"), stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--screenshot", png, "--stats-json",
                                  stats}));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    // B's arrival released A: B is the frame held in place now.
    ASSERT_TRUE(run.wait_releases(1, 10000));
    const std::vector<uint8_t> expected = pixels_of(b);
    run.guest.reset(); // BUFFER_GONE of B: copied out before its mapping goes
    ASSERT_TRUE(run.viewer.wait_for_line("vdmabuf-viewer: waiting", 10000));
    int status = run.viewer.stop(SIGTERM, 5000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img) << "no screenshot after the guest left";
    EXPECT_EQ(diff_pixels(*img, expected.data(), stride), 0u);
    std::string json = read_file(stats);
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0ll) << json;
    EXPECT_GE(json_number(json, "copies_on_demand").value_or(0), 1) << json;
}

TEST(ViewerHeld, LastFrameSurvivesDaemonDisconnect) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto a = export_pattern(*run.guest, 128, 96, 8);
    std::string png = run.path("daemon-gone.png");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--screenshot", png},
                                 /*reconnect=*/true));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    ASSERT_TRUE(run.viewer.wait_for_line("vdmabuf-viewer: showing", 10000));
    const std::vector<uint8_t> expected = pixels_of(a);
    ASSERT_EQ(kill(run.daemon->pid(), SIGKILL), 0);
    ASSERT_TRUE(run.viewer.wait_for_line("vdmabuf-viewer: waiting", 10000));
    int status = run.viewer.stop(SIGTERM, 5000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img) << "no screenshot after vdmabufd left";
    EXPECT_EQ(diff_pixels(*img, expected.data(), a.stride), 0u);
}

} // namespace
} // namespace vdmabuf::viewer_test
