// vdmabuf-viewer --hud in a headless weston (pixman): the HUD is a subsurface
// of its own above the frame's, at the picture's top-left corner, white text
// on a translucent dark box; the rest of the window is exactly the guest
// frame, the frame still comes from guest memory (nothing copied per frame)
// and the viewer's screenshot has no HUD. Without --hud the corner is the
// frame. Skipped without weston.
#include "hud_screen.hpp"
#include "viewer_fixture.hpp"
#include "weston_screen.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace vdmabuf::viewer_test {
namespace {

// The HUD's box (black at alpha 0xb0, premultiplied) blended over a pixel.
uint32_t translucent_box(uint32_t f) {
    uint32_t out = 0;
    for (int shift = 0; shift < 24; shift += 8)
        out |= ((((f >> shift) & 0xff) * (255 - 0xb0) + 127) / 255) << shift;
    return out;
}

// Presents frames a, b, a, ... then reads weston's screen until `done` says
// what it shows is final (10 s, frames keep coming).
std::optional<HudOnScreen> run_until(ViewerRun& run, Weston& weston,
                                     const harness::ExportedBuffer& a,
                                     const harness::ExportedBuffer& b,
                                     const std::function<bool(const HudOnScreen&)>& done) {
    uint64_t seq = 0;
    std::optional<HudOnScreen> seen;
    std::optional<Image> last;
    (void)harness::pump_until(
        [&] {
            // Double-buffered: a buffer is presented again only once released.
            if (run.guest->releases.size() + 2 > seq) {
                ++seq;
                (void)run.guest->device->present((seq % 2 ? a : b).id, 0, seq, 0, {});
            }
            std::optional<Image> s = screenshot(weston.dir());
            if (!s)
                return false;
            last = s;
            auto px = [&](uint32_t x, uint32_t y) {
                uint32_t v;
                std::memcpy(&v, s->pixels.data() + size_t(y) * s->stride + size_t(x) * 4, 4);
                return v & 0xffffff;
            };
            // The newest frame, or the one before while the compositor lags.
            for (const auto* f : {seq % 2 ? &a : &b, seq % 2 ? &b : &a})
                if ((seen = find_frame_with_hud(px, s->width, s->height, f->memory->data(),
                                                f->stride, f->width, f->height, translucent_box)))
                    break;
            return seen && done(*seen);
        },
        10000, {run.guest.get()}, {});
    if (last &&
        (!seen ||
         std::getenv("HUD_KEEP"))) // kept for a look: the run directory goes with the daemon
        (void)write_png("/tmp/vdmabuf-viewer-hud-wayland-screen.png", *last);
    return seen;
}

TEST(ViewerHudWayland, HudIsASubsurfaceOverThePassThroughFrame) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto a = harness::export_pattern(*run.guest, 320, 240, 5);
    auto b = harness::export_pattern(*run.guest, 320, 240, 6);
    const std::string stats = run.path("stats.json"), png = run.path("viewer.png");
    ASSERT_TRUE(run.spawn_viewer(
        {"--presenter", "wayland", "--hud", "--stats-json", stats, "--screenshot", png}));
    // The first line comes a second after the start.
    auto seen = run_until(run, weston, a, b, [](const HudOnScreen& s) { return s.text > 0; });
    ASSERT_TRUE(seen) << "weston's screen never showed the frame";
    EXPECT_GT(seen->text, 50u) << seen->describe();
    // One box at the picture's corner, in surface pixels (3 lines of 8 at
    // most at this width), everything in it text or the translucent box.
    EXPECT_EQ(seen->box_x, 0u) << seen->describe();
    EXPECT_EQ(seen->box_y, 0u) << seen->describe();
    EXPECT_LE(seen->box_w, 320u) << seen->describe();
    EXPECT_LE(seen->box_h, 3u * 8 + 6) << seen->describe();
    EXPECT_EQ(seen->not_box, 0u) << seen->describe();
    EXPECT_EQ(seen->differing, size_t(seen->box_w) * seen->box_h) << seen->describe();

    run.viewer.stop(SIGTERM, 3000);
    const std::string json = read_file(stats);
    // Still pass-through: the compositor read guest memory, nothing copied per frame.
    EXPECT_NE(json.find("\"import_path\": \"wl_shm\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
    for (long long bytes : json_numbers(json, "bytes_uploaded_per_frame"))
        EXPECT_EQ(bytes, 0) << json;
    // The screenshot is the guest frame only.
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    const size_t diff_a = diff_pixels(*img, a.memory->data(), a.stride);
    const size_t diff_b = diff_pixels(*img, b.memory->data(), b.stride);
    EXPECT_EQ(std::min(diff_a, diff_b), 0u) << "the screenshot is not a guest frame";
}

TEST(ViewerHudWayland, WithoutHudTheCornerIsTheFrame) {
    if (access(kWestonPath, X_OK) != 0)
        GTEST_SKIP() << "weston is not installed (scripts/install-deps)";
    Weston weston;
    ASSERT_TRUE(start_weston(weston)) << "weston did not create its socket within 10 s";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto a = harness::export_pattern(*run.guest, 320, 240, 5);
    auto b = harness::export_pattern(*run.guest, 320, 240, 6);
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "wayland"}));
    // Past the second a HUD would need, and a few screens of it.
    const uint64_t until = now_ns() + 2'500'000'000u;
    auto seen = run_until(run, weston, a, b, [&](const HudOnScreen& s) {
        return s.differing > 0 || now_ns() > until;
    });
    ASSERT_TRUE(seen) << "weston's screen never showed the frame";
    EXPECT_EQ(seen->differing, 0u) << seen->describe();
}

} // namespace
} // namespace vdmabuf::viewer_test
