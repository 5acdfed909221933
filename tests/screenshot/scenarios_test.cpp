// Screenshot scenarios (suite 'screenshot'): real clients in the guest
// compositor, captured by the headless vdmabuf-viewer once the scene is
// still, compared with tests/reference/<name>.png. VDMABUF_UPDATE_REFERENCES=1
// writes a missing reference (=all rewrites them); a failure keeps
// <name>.actual.png and <name>.diff.png (red: differing, blue: masked) in the
// build directory or $VDMABUF_SCREENSHOT_OUT.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/wait.h>

#include "pattern.hpp"
#include "scene.hpp"

namespace vdmabuf::screenshot {
namespace {

using compositor_test::pattern_client_path;
using compositor_test::require_program;

constexpr int kMapTimeoutMs = 30000;
constexpr int kQuietMs = 700;

void compare_with_reference(const Image& shot, const std::string& name,
                            const CompareOptions& opts) {
    const Verdict v =
        check_against_reference(shot, reference_path(name), name, opts, build_out_dir());
    std::printf("%s\n", v.message.c_str());
    EXPECT_TRUE(v.ok) << v.message;
}

// The pattern client's stamp carries its commit time (pixels 2..4 of the
// stamp): that is the only part of its picture that differs between runs.
// Masks it for every pattern window found in the screenshot.
std::vector<MaskRect> pattern_time_masks(const Image& shot) {
    std::vector<MaskRect> masks;
    const uint8_t* px = shot.pixels.data();
    for (uint32_t y = 0; y + 1 < shot.height; ++y)
        for (uint32_t x = 0; x + pattern::kLocatorPixels <= shot.width; ++x)
            if (pattern::get(px, shot.stride, x, y) == pattern::kLocatorMagic) {
                pattern::Layout l;
                l.mode = pattern::Mode(pattern::get(px, shot.stride, x + 3, y));
                l.width = pattern::get(px, shot.stride, x + 1, y);
                l.height = pattern::get(px, shot.stride, x + 2, y);
                l.square_x = pattern::get(px, shot.stride, x + 4, y);
                l.square_y = pattern::get(px, shot.stride, x + 5, y);
                if (l.valid())
                    masks.push_back({x + l.stamp_x() + 2, y + l.stamp_y(), 3, 1});
            }
    return masks;
}

// weston-simple-shm's animated area: its 250x250 window lands at (2,24)
// (cascade placement); it clears its buffer to white and animates only inside
// a 20-pixel padding, so the white frame stays compared.
constexpr MaskRect kSimpleShmWindow{22, 44, 210, 210};
// gtk3-demo: exact everywhere but the top-right corner of its client-side
// decoration (rounded corner and shadow over the desktop), which differed in
// 1 run of 4 here (530 pixels at x 758..794, y 0..36).
constexpr uint32_t kGtkTolerance = 0;
const std::vector<MaskRect> kGtkMasks = {{752, 0, 48, 44}};

struct Scenario {
    std::string name;
    CompositorOptions opts;
    uint64_t min_content = 2000;    // pixels off the desktop colour once drawn
    CompareOptions compare;
    std::function<void(Scene&)> before_still; // e.g. SIGSTOP an animating client
    bool mask_pattern_time = false;
};

void run(const Scenario& sc) {
    std::string error;
    auto scene = Scene::start(sc.opts, error);
    ASSERT_TRUE(scene) << error;
    uint64_t best = 0;
    ASSERT_TRUE(scene->wait_for_frame(
        [&](const FrameView& v) {
            best = std::max(best, content_pixels(v));
            return best >= sc.min_content;
        },
        kMapTimeoutMs))
        << sc.name << ": the scene never drew (at most " << best << " pixels off the desktop)";
    if (sc.before_still)
        sc.before_still(*scene);
    ASSERT_TRUE(scene->wait_still(kQuietMs, 30000)) << sc.name << ": the scene never went still";
    auto shot = scene->viewer_screenshot(sc.name, error);
    ASSERT_TRUE(shot) << error;
    EXPECT_EQ(shot->width, 800u);
    EXPECT_EQ(shot->height, 600u);
    CompareOptions compare = sc.compare;
    if (sc.mask_pattern_time) {
        const auto masks = pattern_time_masks(*shot);
        EXPECT_FALSE(masks.empty()) << "no pattern window in the screenshot";
        compare.masks.insert(compare.masks.end(), masks.begin(), masks.end());
    }
    compare_with_reference(*shot, sc.name, compare);
    EXPECT_FALSE(scene->fixture().compositor_exited());
}

TEST(Screenshot, PatternStill) {
    Scenario sc;
    sc.name = "pattern-still";
    sc.opts.command = {pattern_client_path(), "--mode", "still", "--size", "320x240"};
    sc.mask_pattern_time = true;
    run(sc); // exact: tolerance 0; only the stamp's 3 time pixels masked
}

TEST(Screenshot, TwoOverlappingWindows) {
    // The second client starts only once the first is on screen, so the
    // stacking and cascade placement do not depend on which maps first.
    std::string error;
    CompositorOptions opts;
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "400x300"};
    auto scene = Scene::start(opts, error);
    ASSERT_TRUE(scene) << error;
    ASSERT_TRUE(scene->wait_for_frame(
        [](const FrameView& v) {
            return pattern::locate(v.pixels, v.width, v.height, v.stride).has_value();
        },
        kMapTimeoutMs))
        << "the first window never appeared";
    std::vector<std::string> argv = scene->fixture().client_env();
    argv.insert(argv.end(), {pattern_client_path(), "--mode", "still", "--size", "240x180"});
    ChildProcess second = ChildProcess::spawn(argv);
    ASSERT_TRUE(second);
    // Two windows drawn: the second's locator (its layout is 240x180).
    ASSERT_TRUE(scene->wait_for_frame(
        [](const FrameView& v) {
            for (uint32_t y = 0; y < v.height; ++y)
                for (uint32_t x = 0; x + 3 <= v.width; ++x)
                    if (v.rgb(x, y) == pattern::kLocatorMagic && v.rgb(x + 1, y) == 240 &&
                        v.rgb(x + 2, y) == 180)
                        return true;
            return false;
        },
        kMapTimeoutMs))
        << "the second window never appeared";
    ASSERT_TRUE(scene->wait_still(kQuietMs, 30000));
    auto shot = scene->viewer_screenshot("two-windows", error);
    ASSERT_TRUE(shot) << error;
    CompareOptions compare;
    compare.masks = pattern_time_masks(*shot);
    EXPECT_EQ(compare.masks.size(), 2u) << "both windows' locators and stamps are visible";
    compare_with_reference(*shot, "two-windows", compare);
}

// weston-simple-shm animates every frame. The test starts it itself (so it
// knows its pid), waits until its window is on screen, SIGSTOPs it — the
// compositor then keeps its last buffer and goes still — and masks the
// window's animated content (inside its 20-pixel white padding), whose phase
// depends on when it was stopped. What is compared is the rest: the white
// frame (placement and size of the window) and the desktop around it.
TEST(Screenshot, WestonSimpleShmFrozenAndMasked) {
    const std::string program = require_program("weston-simple-shm", "weston");
    std::string error;
    CompositorOptions opts;
    opts.command = {"/bin/sleep", "60"};
    auto scene = Scene::start(opts, error);
    ASSERT_TRUE(scene) << error;
    std::vector<std::string> argv = scene->fixture().client_env();
    argv.push_back(program);
    ChildProcess client = ChildProcess::spawn(argv);
    ASSERT_TRUE(client);
    uint64_t best = 0;
    ASSERT_TRUE(scene->wait_for_frame(
        [&](const FrameView& v) {
            best = std::max(best, content_pixels(v));
            return best >= 250u * 250u / 2;
        },
        kMapTimeoutMs))
        << "weston-simple-shm never drew (at most " << best << " pixels)";
    ASSERT_EQ(::kill(client.pid(), SIGSTOP), 0);
    ASSERT_TRUE(scene->wait_still(kQuietMs, 30000)) << "the scene never went still";
    auto shot = scene->viewer_screenshot("weston-simple-shm", error);
    ::kill(client.pid(), SIGKILL);
    ::kill(client.pid(), SIGCONT);
    ASSERT_TRUE(shot) << error;
    CompareOptions compare;
    compare.masks = {kSimpleShmWindow};
    compare_with_reference(*shot, "weston-simple-shm", compare);
    // The masked area is the window, not the desktop.
    uint64_t window_pixels = 0;
    const FrameView v{shot->pixels.data(), shot->width, shot->height, shot->stride};
    const uint32_t bg = v.rgb(v.width - 1, v.height - 1);
    for (uint32_t y = kSimpleShmWindow.y; y < kSimpleShmWindow.y + kSimpleShmWindow.height; ++y)
        for (uint32_t x = kSimpleShmWindow.x; x < kSimpleShmWindow.x + kSimpleShmWindow.width; ++x)
            window_pixels += v.rgb(x, y) != bg;
    EXPECT_GT(window_pixels, 210u * 210u / 2) << "the masked window area shows the desktop";
}

TEST(Screenshot, Gtk3DemoStartPage) {
    Scenario sc;
    sc.name = "gtk3-demo";
    sc.opts.command = {require_program("gtk3-demo", "gtk-3-examples")};
    sc.opts.env = {"GDK_BACKEND=wayland", "NO_AT_BRIDGE=1", "GTK_THEME=Adwaita",
                   "XDG_CONFIG_HOME=/nonexistent", "GSETTINGS_BACKEND=memory"};
    sc.min_content = 20000;
    sc.compare.tolerance = kGtkTolerance;
    sc.compare.masks = kGtkMasks;
    run(sc);
}

// A popup menu open: gtk3-demo's text view context menu (an xdg_popup),
// opened by a right click the headless viewer sends through its --commands
// script (the interactive session's input path).
TEST(Screenshot, Gtk3DemoPopupMenuOpen) {
    std::string error;
    CompositorOptions opts;
    opts.command = {require_program("gtk3-demo", "gtk-3-examples")};
    opts.env = {"GDK_BACKEND=wayland", "NO_AT_BRIDGE=1", "GTK_THEME=Adwaita",
                "XDG_CONFIG_HOME=/nonexistent", "GSETTINGS_BACKEND=memory"};
    auto scene = Scene::start(opts, error);
    ASSERT_TRUE(scene) << error;
    ASSERT_TRUE(scene->wait_for_frame([](const FrameView& v) { return content_pixels(v) >= 20000; },
                                      kMapTimeoutMs))
        << "gtk3-demo never drew";
    ASSERT_TRUE(scene->wait_still(kQuietMs, 30000));
    auto before = scene->viewer_screenshot("gtk3-demo-before-popup", error);
    ASSERT_TRUE(before) << error;
    const std::string script = scene->fixture().runtime_dir() + "/popup.commands";
    std::ofstream(script) << "click 500 400 right\nquit\n"; // in the Info text view
    ChildProcess viewer = ChildProcess::spawn(
        {viewer_path(), "--connect", scene->fixture().daemon().consumer_socket(), "--presenter",
         "headless", "--no-reconnect", "--commands", script});
    ASSERT_TRUE(viewer);
    int status = -1;
    ASSERT_TRUE(scene->fixture().pump_until([&] { return viewer.exited(&status); }, 30000));
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "viewer status " << status;
    // The menu maps (while the viewer ran or after) and the scene goes still.
    ASSERT_TRUE(scene->wait_still(kQuietMs, 30000));
    auto shot = scene->viewer_screenshot("gtk3-demo-popup", error);
    ASSERT_TRUE(shot) << error;
    uint64_t changed = 0;
    for (size_t i = 0; i + 3 < shot->pixels.size() && i + 3 < before->pixels.size(); i += 4)
        changed += std::memcmp(&shot->pixels[i], &before->pixels[i], 3) != 0;
    EXPECT_GT(changed, 2000u) << "no popup menu appeared";
    CompareOptions compare;
    compare.tolerance = kGtkTolerance;
    compare.masks = kGtkMasks;
    compare_with_reference(*shot, "gtk3-demo-popup", compare);
}

TEST(Screenshot, FootFixedText) {
    Scenario sc;
    sc.name = "foot";
    // No shell prompt at all: sh -c prints the text and sleeps. --config
    // /dev/null: the built-in defaults, not a user's foot.ini.
    sc.opts.command = {require_program("foot", "foot"), "--config", "/dev/null", "--",
                       "/bin/sh", "-c", "printf 'vdmabuf screenshot test\\n'; exec sleep 60"};
    sc.opts.env = {"XDG_CONFIG_HOME=/nonexistent"};
    sc.min_content = 20000;
    run(sc);
}

TEST(Screenshot, XeyesThroughXwayland) {
    require_program("Xwayland", "xwayland");
    Scenario sc;
    sc.name = "xeyes-xwayland";
    // No input devices: the X pointer never moves, so the eyes look at the
    // same place in every run.
    sc.opts.command = {require_program("xeyes", "x11-apps")};
    sc.opts.xwayland = true;
    sc.min_content = 1000;
    run(sc);
}

} // namespace
} // namespace vdmabuf::screenshot
