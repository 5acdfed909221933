// The culled render path (guest-compositor/src/scene_render.hpp, the default)
// draws exactly the pixels of wlroots' wlr_scene_output_commit (--render
// wlroots): the same still scene is rendered by one compositor per path and the
// exported frames are compared word for word (the X byte included). The
// compositor's render counters (logged when its output goes) say which path
// drew the frames, so a scene meant for one path cannot silently take the other.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>

#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

struct Capture {
    std::vector<uint32_t> words;
    uint32_t width = 0, height = 0, fourcc = 0;
    uint64_t frames_culled = 0, frames_wlroots = 0;
    double mpx_culled = 0;
};

// Pixels that are neither the desktop's background nor black: the windows.
bool desktop(uint32_t rgb) {
    return rgb == 0x283342 || rgb == 0; // kBackground {0.16, 0.20, 0.26}
}
size_t window_pixels(const Capture& c) {
    size_t n = 0;
    for (uint32_t w : c.words)
        n += !desktop(w & pattern::kRgbMask);
    return n;
}
size_t window_pixels(const FrameView& v) {
    size_t n = 0;
    for (uint32_t y = 0; y < v.height; ++y)
        for (uint32_t x = 0; x < v.width; ++x)
            n += !desktop(v.rgb(x, y));
    return n;
}

size_t locators(const FrameView& v) {
    size_t n = 0;
    for (uint32_t y = 0; y < v.height; ++y)
        for (uint32_t x = 0; x < v.width; ++x)
            n += v.rgb(x, y) == pattern::kLocatorMagic;
    return n;
}

// Starts a compositor with `--render path` and each client in turn, the next
// once the previous one is on screen (`locators[i]` locators in the frame; 0:
// a window's worth of pixels that are not the desktop) so that the stacking
// and focus are the same in every run; waits for a still scene and returns its
// frame and the compositor's render counters.
std::optional<Capture> capture(const std::string& path,
                               const std::vector<std::vector<std::string>>& clients,
                               const std::vector<size_t>& locators_shown, std::string& error) {
    CompositorOptions opts;
    opts.outputs = {"640x480"};
    opts.extra_args = {"--render", path};
    opts.command = clients.front();
    // One file per test and process: meson runs these cases in parallel, and a
    // shared name let one case read another's render counters.
    opts.stderr_file = ::testing::TempDir() + "render-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
                       path + "-" + std::to_string(::getpid()) + ".log";
    std::optional<Capture> out;
    {
        auto f = CompositorFixture::start(opts, error);
        if (!f)
            return std::nullopt;
        Viewer& viewer = f->viewer();
        std::vector<ChildProcess> more; // stopped before the compositor
        for (size_t i = 0; i < clients.size(); ++i) {
            if (i > 0) {
                std::vector<std::string> argv = f->client_env();
                argv.insert(argv.end(), clients[i].begin(), clients[i].end());
                more.push_back(ChildProcess::spawn(argv));
                if (!more.back()) {
                    error = "could not start " + clients[i].front();
                    return std::nullopt;
                }
            }
            const uint64_t before = viewer.presents;
            const bool shown = f->pump_until(
                [&] {
                    viewer.release_all_but_last();
                    if (viewer.presents == before || viewer.held.empty())
                        return false;
                    const FrameView v = viewer.frame(viewer.held.back());
                    if (!v.pixels)
                        return false;
                    return locators_shown[i] ? locators(v) >= locators_shown[i]
                                             : window_pixels(v) > 10000;
                },
                30000);
            if (!shown) {
                error = "window " + std::to_string(i + 1) + " never appeared (" + path + ")";
                return std::nullopt;
            }
        }
        // Still: nothing presented for a second.
        f->pump_until(
            [&] {
                viewer.release_all_but_last();
                return now_ns() - viewer.last_present_ns > 1'000'000'000;
            },
            20000);
        viewer.release_all_but_last();
        if (viewer.held.empty()) {
            error = "no frame held";
            return std::nullopt;
        }
        const FrameView v = viewer.frame(viewer.held.back());
        if (!v.pixels) {
            error = "the frame could not be read";
            return std::nullopt;
        }
        out.emplace();
        out->width = v.width;
        out->height = v.height;
        out->fourcc = viewer.info(viewer.held.back().id)->fourcc;
        out->words.resize(size_t(v.width) * v.height);
        for (uint32_t y = 0; y < v.height; ++y)
            std::memcpy(&out->words[size_t(y) * v.width], v.pixels + size_t(y) * v.stride,
                        size_t(v.width) * 4);
    } // the compositor stops and logs its counters
    std::ifstream log(opts.stderr_file);
    std::string line;
    bool found = false;
    while (std::getline(log, line)) {
        const size_t at = line.find("output 0 render: ");
        if (at == std::string::npos)
            continue;
        double drawn = 0;
        found =
            std::sscanf(line.c_str() + at,
                        "output 0 render: %" SCNu64 " frames culled (%lf Mpx drawn, %lf Mpx "
                        "not drawn under opaque nodes), %" SCNu64,
                        &out->frames_culled, &drawn, &out->mpx_culled, &out->frames_wlroots) == 4;
    }
    if (!found) {
        error = "no render counters in " + opts.stderr_file;
        return std::nullopt;
    }
    return out;
}

void expect_same(const Capture& wlroots, const Capture& culled, const std::string& name) {
    ASSERT_EQ(wlroots.width, culled.width);
    ASSERT_EQ(wlroots.height, culled.height);
    uint64_t differ = 0;
    size_t first = 0;
    for (size_t i = 0; i < wlroots.words.size(); ++i)
        if (wlroots.words[i] != culled.words[i] && differ++ == 0)
            first = i;
    EXPECT_EQ(differ, 0u) << name << ": first difference at " << first % wlroots.width << ","
                          << first / wlroots.width << ": wlroots " << std::hex
                          << wlroots.words[first] << ", culled " << culled.words[first];
    if (differ) {
        const std::string dir = ::testing::TempDir();
        for (const auto& [c, tag] : {std::pair{&wlroots, "wlroots"}, std::pair{&culled, "culled"}})
            (void)write_png((dir + name + "-" + tag + ".png").c_str(),
                            reinterpret_cast<const uint8_t*>(c->words.data()), c->width, c->height,
                            c->width * 4, c->fourcc);
        ADD_FAILURE() << "images kept in " << dir << name << "-{wlroots,culled}.png";
    }
}

// Frames of a blittable scene that may still go through wlroots: under ASan on
// a loaded machine the popup scene once had 2 (compared pixels were still
// equal); the cause is not known, see the fallback conditions in scene_render.
constexpr uint64_t kFallbackFramesAllowed = 2;

std::vector<std::string> client(std::vector<std::string> args) {
    args.insert(args.begin(), pattern_client_path());
    args.insert(args.end(), {"--mode", "still", "--stamp-time", "12345"});
    return args;
}

// The benchmark's scene: one output-sized window (clipped by the title bar).
TEST(Render, OutputSizedWindowCulledEqualsWlroots) {
    const std::vector<std::vector<std::string>> scene = {client({"--size", "640x480"})};
    std::string error;
    const auto ref = capture("wlroots", scene, {1}, error);
    ASSERT_TRUE(ref) << error;
    const auto got = capture("culled", scene, {1}, error);
    ASSERT_TRUE(got) << error;
    EXPECT_EQ(ref->frames_culled, 0u);
    EXPECT_GT(got->frames_culled, 0u);
    EXPECT_LE(got->frames_wlroots, kFallbackFramesAllowed);
    EXPECT_GT(got->mpx_culled, 0.1) << "the background under the window was drawn";
    expect_same(*ref, *got, "output-sized");
}

// Two overlapping windows, the upper one ARGB with a translucent band outside
// its opaque region: SRC inside it, OVER (onto the window below) outside.
TEST(Render, OverlappingTranslucentWindowCulledEqualsWlroots) {
    const std::vector<std::vector<std::string>> scene = {
        client({"--size", "320x240"}), client({"--size", "300x200", "--translucent", "40"})};
    std::string error;
    const auto ref = capture("wlroots", scene, {1, 2}, error);
    ASSERT_TRUE(ref) << error;
    const auto got = capture("culled", scene, {1, 2}, error);
    ASSERT_TRUE(got) << error;
    EXPECT_GT(got->frames_culled, 0u);
    EXPECT_LE(got->frames_wlroots, kFallbackFramesAllowed);
    EXPECT_GT(window_pixels(*got), size_t(320 * 240));
    expect_same(*ref, *got, "overlap-translucent");
}

// A popup (an ARGB xdg_popup, its bottom half translucent) over an
// output-sized window: the popup is drawn over the window, the window only
// where the popup's opaque half does not cover it, the background nowhere.
TEST(Render, PopupOverOutputSizedWindowCulledEqualsWlroots) {
    const std::vector<std::vector<std::string>> scene = {
        client({"--size", "640x480", "--popup", "200x120+100+60"})};
    std::string error;
    const auto ref = capture("wlroots", scene, {2}, error);
    ASSERT_TRUE(ref) << error;
    const auto got = capture("culled", scene, {2}, error);
    ASSERT_TRUE(got) << error;
    EXPECT_GT(got->frames_culled, 0u);
    EXPECT_LE(got->frames_wlroots, kFallbackFramesAllowed);
    expect_same(*ref, *got, "popup");
}

// A surface with buffer scale 2 is not blitted: every frame of that scene
// falls back to wlr_scene_output_commit, with the same pixels.
TEST(Render, ScaledSurfaceFallsBackToWlroots) {
    const std::vector<std::vector<std::string>> scene = {
        client({"--size", "320x240", "--scale", "2"})};
    std::string error;
    const auto ref = capture("wlroots", scene, {0}, error);
    ASSERT_TRUE(ref) << error;
    const auto got = capture("culled", scene, {0}, error);
    ASSERT_TRUE(got) << error;
    EXPECT_GT(window_pixels(*got), size_t(100 * 100)) << "the window is not on screen";
    EXPECT_GT(got->frames_wlroots, 0u);
    expect_same(*ref, *got, "scaled");
}

} // namespace
} // namespace vdmabuf::compositor_test
