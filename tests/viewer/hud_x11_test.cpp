// vdmabuf-viewer --hud under Xvfb: where MIT-SHM puts show the frame, the HUD
// is core text (the "fixed" font on an opaque dark box) drawn after the puts
// at the frame's top-left corner, the rest of the window exactly the guest
// frame and nothing copied or drawn with GL per frame; where GL draws the
// frame (--no-pass-through) the same line is a texture blended over it.
// Without --hud the window is exactly the frame (x11_test.cpp). Skipped
// without Xvfb.
#include "hud_screen.hpp"
#include "viewer_fixture.hpp"
#include "x11_window.hpp"
#include "xvfb.hpp"

#include <gtest/gtest.h>
// After gtest: Xlib #defines None, which gtest uses as a name.
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <csignal>
#include <drm_fourcc.h>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace vdmabuf::viewer_test {
namespace {

// Presents frames a, b, a, ... and reads the viewer's window until `done`
// (10 s, frames keep coming).
std::optional<HudOnScreen> run_until(ViewerRun& run, Display* d, const harness::ExportedBuffer& a,
                                     const harness::ExportedBuffer& b,
                                     const std::function<uint32_t(uint32_t)>& box,
                                     const std::function<bool(const HudOnScreen&)>& done) {
    uint64_t seq = 0;
    std::optional<HudOnScreen> seen;
    Image last;
    (void)harness::pump_until(
        [&] {
            if (run.guest->releases.size() + 2 > seq) {
                ++seq;
                (void)run.guest->device->present((seq % 2 ? a : b).id, 0, seq, 0, {});
            }
            const Window win = viewer_window(d);
            auto [ww, wh] = window_size(d);
            if (!win || ww <= 0 || wh <= 0)
                return false;
            XImage* img = XGetImage(d, win, 0, 0, unsigned(ww), unsigned(wh), AllPlanes, ZPixmap);
            if (!img)
                return false;
            auto px = [&](uint32_t x, uint32_t y) {
                return uint32_t(XGetPixel(img, int(x), int(y))) & 0xffffff;
            };
            // The newest frame, or the one before while the server lags.
            for (const auto* f : {seq % 2 ? &a : &b, seq % 2 ? &b : &a})
                if ((seen = find_frame_with_hud(px, uint32_t(ww), uint32_t(wh), f->memory->data(),
                                                f->stride, f->width, f->height, box)))
                    break;
            last = {uint32_t(ww), uint32_t(wh), uint32_t(ww) * 4, DRM_FORMAT_XRGB8888, {}};
            last.pixels.resize(size_t(last.stride) * last.height);
            for (uint32_t y = 0; y < last.height; ++y)
                for (uint32_t x = 0; x < last.width; ++x) {
                    const uint32_t p = 0xff000000u | px(x, y);
                    std::memcpy(&last.pixels[size_t(y) * last.stride + x * 4], &p, 4);
                }
            XDestroyImage(img);
            return seen && done(*seen);
        },
        10000, {run.guest.get()}, {});
    if (!last.pixels.empty() && (!seen || std::getenv("HUD_KEEP"))) // kept for a look
        (void)write_png("/tmp/vdmabuf-viewer-hud-x11-window.png", last);
    return seen;
}

TEST(ViewerHudX11, HudIsCoreTextOverThePassThroughFrame) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto a = harness::export_pattern(*run.guest, 320, 240, 5);
    auto b = harness::export_pattern(*run.guest, 320, 240, 6);
    const std::string stats = run.path("stats.json"), png = run.path("viewer.png");
    ASSERT_TRUE(run.spawn_viewer(
        {"--presenter", "x11", "--hud", "--stats-json", stats, "--screenshot", png}));
    auto seen = run_until(
        run, x.dpy(), a, b, [](uint32_t) { return 0x202020u; },
        [](const HudOnScreen& s) { return s.text > 0; });
    ASSERT_TRUE(seen) << "the window never showed the frame";
    EXPECT_GT(seen->text, 50u) << seen->describe();
    // One opaque box at the frame's corner: text and box colour only.
    EXPECT_EQ(seen->box_x, 0u) << seen->describe();
    EXPECT_EQ(seen->box_y, 0u) << seen->describe();
    EXPECT_LE(seen->box_h, 60u) << seen->describe();
    EXPECT_EQ(seen->not_box, 0u) << seen->describe();

    run.viewer.stop(SIGTERM, 3000);
    const std::string json = read_file(stats);
    EXPECT_NE(json.find("\"import_path\": \"x11_shm\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "bytes_uploaded_total"), 0) << json;
    for (long long bytes : json_numbers(json, "bytes_uploaded_per_frame"))
        EXPECT_EQ(bytes, 0) << json;
    // GL drew at most the waiting window, never a frame (nor the HUD).
    EXPECT_LE(json_number(json, "draws").value_or(99), 2) << json;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(std::min(diff_pixels(*img, a.memory->data(), a.stride),
                       diff_pixels(*img, b.memory->data(), b.stride)),
              0u)
        << "the screenshot is not a guest frame";
}

TEST(ViewerHudX11, GlPathBlendsTheHudOverTheFrame) {
    if (access(kXvfbPath, X_OK) != 0)
        GTEST_SKIP() << "Xvfb is not installed";
    Xvfb x;
    ASSERT_TRUE(start_x(x)) << "Xvfb did not start";
    ViewerRun run;
    ASSERT_TRUE(run.start());
    auto a = harness::export_pattern(*run.guest, 320, 240, 5);
    auto b = harness::export_pattern(*run.guest, 320, 240, 6);
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "x11", "--hud", "--no-pass-through"}));
    // The box: black at alpha 0xb0, premultiplied, over the frame.
    auto translucent = [](uint32_t f) {
        uint32_t out = 0;
        for (int shift = 0; shift < 24; shift += 8)
            out |= ((((f >> shift) & 0xff) * (255 - 0xb0) + 127) / 255) << shift;
        return out;
    };
    auto seen =
        run_until(run, x.dpy(), a, b, translucent, [](const HudOnScreen& s) { return s.text > 0; });
    ASSERT_TRUE(seen) << "the window never showed the frame";
    EXPECT_GT(seen->text, 50u) << seen->describe();
    EXPECT_EQ(seen->box_x, 0u) << seen->describe();
    EXPECT_EQ(seen->box_y, 0u) << seen->describe();
    EXPECT_LE(seen->box_h, 3u * 8 + 6) << seen->describe();
    EXPECT_EQ(seen->not_box, 0u) << seen->describe();
}

} // namespace
} // namespace vdmabuf::viewer_test
