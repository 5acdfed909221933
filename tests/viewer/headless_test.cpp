// vdmabuf-viewer --presenter headless against a real vdmabufd and a synthetic
// guest: byte-exact screenshots, the frame held and copied only on demand,
// release rules. More on the held frame: held_test.cpp.
#include "viewer_fixture.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <sys/wait.h>

namespace vdmabuf::viewer_test {
namespace {

using harness::export_pattern;
using harness::fill_pattern;

TEST(ViewerHeadless, ScreenshotEqualsGuestPattern) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto buf = export_pattern(*run.guest, 333, 211, 7);
    ASSERT_TRUE(buf.memory);
    std::string png = run.path("shot.png"), stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--frames", "1", "--screenshot", png,
                                  "--stats-json", stats}));
    ASSERT_TRUE(run.guest->device->present(buf.id, 0, 1, 0, {}));
    int status = run.wait_viewer_exit(20000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    ASSERT_EQ(img->width, 333u);
    ASSERT_EQ(img->height, 211u);
    EXPECT_EQ(diff_pixels(*img, buf.memory->data(), buf.stride), 0u);

    ASSERT_TRUE(run.wait_releases(1, 5000)) << "the viewer released its frame";
    EXPECT_EQ(run.guest->releases[0].sequence, 1u);
    std::string json = read_file(stats);
    // Headless holds the frame's buffer: nothing per frame, one copy for the
    // screenshot, nothing drawn through GL.
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0ll) << json;
    EXPECT_EQ(json_number(json, "bytes_copied_on_demand"), 333ll * 211 * 4) << json;
    EXPECT_NE(json.find("\"import_path\": \"held\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "draws"), 0ll) << json;
}

// Damage is no longer read per frame: the screenshot copies the held buffer
// whole, which is the frame the guest presented.
TEST(ViewerHeadless, DamagedFrameScreenshotIsTheWholeBuffer) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    const uint32_t w = 256, h = 128;
    auto buf = export_pattern(*run.guest, w, h, 1);
    ASSERT_TRUE(buf.memory);
    std::string png = run.path("damage.png"), stats = run.path("stats.json");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--frames", "2", "--screenshot", png,
                                  "--stats-json", stats}));
    ASSERT_TRUE(run.guest->device->present(buf.id, 0, 1, 0, {}));
    // A still frame is copied out and released after the viewer's hold bound.
    ASSERT_TRUE(run.wait_releases(1, 10000)) << "the held frame is released";

    // The guest redraws two rectangles and says so. It also changes a pixel
    // outside them: the buffer as presented is the frame, and a whole copy
    // shows it.
    std::vector<uint8_t> expected(buf.memory->data(), buf.memory->data() + size_t(buf.stride) * h);
    std::vector<uint8_t> other(expected.size());
    fill_pattern(other.data(), w, h, buf.stride, 99);
    const vdmabuf_rect damage[2] = {{10, 5, 40, 30}, {100, 60, 64, 64}};
    for (const auto& r : damage)
        for (uint32_t y = r.y; y < r.y + r.height; ++y) {
            size_t off = size_t(y) * buf.stride + r.x * 4;
            std::memcpy(buf.memory->data() + off, other.data() + off, r.width * 4);
            std::memcpy(expected.data() + off, other.data() + off, r.width * 4);
        }
    buf.memory->data()[size_t(120) * buf.stride + 200 * 4] ^= 0x5a; // undamaged
    expected[size_t(120) * buf.stride + 200 * 4] ^= 0x5a;

    ASSERT_TRUE(run.guest->device->present(buf.id, 0, 2, 0, std::span(damage, 2)));
    int status = run.wait_viewer_exit(20000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(diff_pixels(*img, expected.data(), buf.stride), 0u);
    std::vector<long long> per_frame = json_numbers(read_file(stats), "bytes_uploaded_per_frame");
    ASSERT_EQ(per_frame.size(), 2u);
    EXPECT_EQ(per_frame[0], 0ll);
    EXPECT_EQ(per_frame[1], 0ll);
    ASSERT_TRUE(run.wait_releases(2, 5000));
}

// Double-buffered guest: it reuses a buffer once released. Every frame must
// come back, and the viewer never holds more than two.
TEST(ViewerHeadless, ReleasesFlowAndAtMostTwoHeld) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    harness::ExportedBuffer bufs[3] = {export_pattern(*run.guest, 64, 48, 1),
                                       export_pattern(*run.guest, 64, 48, 2),
                                       export_pattern(*run.guest, 64, 48, 3)};
    const int frames = 30;
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--frames", std::to_string(frames)}));
    size_t max_outstanding = 0;
    for (int seq = 1; seq <= frames; ++seq) {
        ASSERT_TRUE(run.guest->device->present(bufs[seq % 3].id, 0, uint64_t(seq), 0, {}));
        // Sends ahead by up to three, like a triple-buffered guest.
        ASSERT_TRUE(run.wait_releases(size_t(std::max(0, seq - 2)), 10000)) << "frame " << seq;
        max_outstanding = std::max(max_outstanding, size_t(seq) - run.guest->releases.size());
    }
    int status = run.wait_viewer_exit(20000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    ASSERT_TRUE(run.wait_releases(frames, 5000));
    EXPECT_EQ(run.guest->releases.size(), size_t(frames));
    EXPECT_LE(max_outstanding, 3u); // two held by the viewer + one in flight
    for (const auto& r : run.guest->releases)
        EXPECT_EQ(r.reason, uint32_t(VDMABUF_RELEASE_DONE)) << "seq " << r.sequence;
}

TEST(ViewerHeadless, KilledViewerReleasesEverything) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto a = export_pattern(*run.guest, 128, 64, 1);
    auto b = export_pattern(*run.guest, 128, 64, 2);
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless"}));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    ASSERT_TRUE(run.guest->device->present(b.id, 0, 2, 0, {}));
    harness::pump_until([] { return false; }, 300, {run.guest.get()}, {});
    run.viewer.stop(SIGKILL, 1000);
    ASSERT_TRUE(run.wait_releases(2, 10000)) << "got " << run.guest->releases.size();
    bool seen1 = false, seen2 = false;
    for (const auto& r : run.guest->releases) {
        seen1 |= r.sequence == 1;
        seen2 |= r.sequence == 2;
    }
    EXPECT_TRUE(seen1 && seen2);
}

} // namespace
} // namespace vdmabuf::viewer_test
