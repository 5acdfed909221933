// The interactive suite (suite 'interactive'): real vdmabufd, vdmabuf-compositor
// and clients, and the headless vdmabuf-viewer typing, clicking, scrolling and
// resizing through its --commands script. What the guest's clients received
// is read from vdmabuf-input-client's event lines; what they drew from
// screenshots.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <sys/wait.h>

#include "pattern.hpp"
#include "session.hpp"
#include "viewer_fixture.hpp"

namespace vdmabuf::interactive {
namespace {

using compositor_test::CompositorOptions;
using compositor_test::FrameView;
using compositor_test::pattern_client_path;
using compositor_test::require_program;
using viewer_test::json_number;

constexpr int kTimeoutMs = 30000;
constexpr int kQuietMs = 700;
// Long enough never to end a script before the test has seen what it waits for.
constexpr const char* kLinger = "wait-ms 55000\n";

std::unique_ptr<Scene> start_scene(CompositorOptions opts) {
    std::string error;
    auto scene = Scene::start(std::move(opts), error);
    EXPECT_TRUE(scene) << error;
    return scene;
}

CompositorOptions idle_desktop(std::vector<std::string> outputs = {"800x600"}) {
    CompositorOptions opts;
    opts.outputs = std::move(outputs);
    opts.command = {"/bin/sleep", "120"};
    return opts;
}

// Pumps until a frame shows at least `min` pixels of colour rgb.
bool wait_colour(Scene& scene, uint32_t rgb, uint64_t min, Box* box = nullptr) {
    return scene.wait_for_frame(
        [&](const FrameView& v) {
            Box b = find_colour(v, rgb);
            if (box)
                *box = b;
            return b.pixels >= min;
        },
        kTimeoutMs);
}

// Pixels whose RGB differs between a frame and a same-sized screenshot.
uint64_t changed_pixels(const FrameView& v, const Image& img) {
    if (v.width != img.width || v.height != img.height)
        return 0;
    const FrameView w{img.pixels.data(), img.width, img.height, img.stride};
    uint64_t n = 0;
    for (uint32_t y = 0; y < v.height; ++y)
        for (uint32_t x = 0; x < v.width; ++x)
            n += v.rgb(x, y) != w.rgb(x, y);
    return n;
}

// A point of colour rgb in the frame with `margin` pixels of it all around
// and outside `avoid`; nullopt if there is none.
std::optional<std::pair<uint32_t, uint32_t>> point_of(const FrameView& v, uint32_t rgb,
                                                      const Box* avoid = nullptr,
                                                      uint32_t margin = 8) {
    for (uint32_t y = margin; y + margin < v.height; y += 4)
        for (uint32_t x = margin; x + margin < v.width; x += 4) {
            if (avoid && x >= avoid->x0 && x < avoid->x1 && y >= avoid->y0 && y < avoid->y1)
                continue;
            if (v.rgb(x, y) == rgb && v.rgb(x - margin, y - margin) == rgb &&
                v.rgb(x + margin, y + margin) == rgb && v.rgb(x - margin, y + margin) == rgb &&
                v.rgb(x + margin, y - margin) == rgb)
                return std::pair(x, y);
        }
    return std::nullopt;
}

// The pattern client's 320x240 window on these outputs, shown and still.
std::unique_ptr<Scene> start_still_pattern(std::vector<std::string> outputs) {
    CompositorOptions opts;
    opts.outputs = std::move(outputs);
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "320x240"};
    auto scene = start_scene(opts);
    if (!scene)
        return nullptr;
    const bool shown = scene->wait_for_frame(
        [](const FrameView& v) { return pattern::locate(v.pixels, v.width, v.height, v.stride).has_value(); },
        kTimeoutMs);
    EXPECT_TRUE(shown) << "the pattern window never appeared";
    const bool still = shown && scene->wait_still(kQuietMs, kTimeoutMs);
    EXPECT_TRUE(!shown || still) << "the scene never went still";
    return still ? std::move(scene) : nullptr;
}

TEST(Typing, InputClientGetsExactKeysyms) {
    const std::string client_path = require_input_client();
    auto scene = start_scene(idle_desktop());
    ASSERT_TRUE(scene);
    auto client = LoggedClient::start(*scene, "typing", {client_path, "--color", "3366cc"});
    ASSERT_TRUE(client);
    ASSERT_TRUE(wait_colour(*scene, 0x3366cc, 10000)) << "the input client never drew";
    ASSERT_TRUE(client->wait_for_line(*scene, "keyboard-enter", kTimeoutMs))
        << "the new window never got keyboard focus";
    std::string error;
    auto viewer = ScriptedViewer::start(*scene, "typing",
                                        std::string("type Hello, vdmabuf!\nkey KEY_ENTER\n") +
                                            kLinger,
                                        {"--keymap", "us"}, error);
    ASSERT_TRUE(viewer) << error;
    ASSERT_TRUE(client->wait_for_line(*scene, "key Return - released", kTimeoutMs))
        << "Enter never arrived";
    const std::vector<std::string> want = {"Shift_L", "H",     "e", "l", "l", "o",
                                           "comma",   "space", "v", "d", "m", "a",
                                           "b",       "u",     "f", "Shift_L", "exclam", "Return"};
    EXPECT_EQ(pressed_keysyms(*client), want);
    EXPECT_TRUE(client->has_line("key exclam ! pressed"));
    EXPECT_TRUE(client->has_line("key comma , pressed"));
    viewer->process.stop();
}

TEST(Typing, KeymapAnnouncedFirstGermanZIsY) {
    const std::string client_path = require_input_client();
    auto scene = start_scene(idle_desktop());
    ASSERT_TRUE(scene);
    auto client = LoggedClient::start(*scene, "keymap", {client_path, "--color", "3366cc"});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->wait_for_line(*scene, "keyboard-enter", kTimeoutMs));
    std::string error;
    // The US key "z" sits where a German keyboard has "y".
    auto viewer = ScriptedViewer::start(*scene, "keymap", std::string("type zy\n") + kLinger,
                                        {"--keymap", "de"}, error);
    ASSERT_TRUE(viewer) << error;
    ASSERT_TRUE(client->wait_for_line(*scene, "key z z released", kTimeoutMs));
    EXPECT_EQ(pressed_keysyms(*client), (std::vector<std::string>{"y", "z"}));
    viewer->process.stop();
}

TEST(Typing, FootShowsTypedText) {
    const std::string foot = require_program("foot", "foot");
    CompositorOptions opts;
    // cat on the terminal: the tty echoes what is typed, cat prints it again
    // after Enter; no shell prompt whose text depends on the machine.
    opts.command = {foot, "--config", "/dev/null", "--", "/bin/cat"};
    opts.env = {"XDG_CONFIG_HOME=/nonexistent"};
    auto scene = start_scene(opts);
    ASSERT_TRUE(scene);
    ASSERT_TRUE(scene->wait_for_frame(
        [](const FrameView& v) { return screenshot::content_pixels(v) >= 20000; }, kTimeoutMs))
        << "foot never drew";
    ASSERT_TRUE(scene->wait_still(kQuietMs, kTimeoutMs));
    std::string error;
    auto before = scene->viewer_screenshot("foot-before", error);
    ASSERT_TRUE(before) << error;
    auto viewer = ScriptedViewer::start(*scene, "foot-typing",
                                        "type vdmabuf typed: Hello 123\nkey KEY_ENTER\nquit\n", {},
                                        error);
    ASSERT_TRUE(viewer) << error;
    int status = viewer->wait_exit(*scene, kTimeoutMs);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "viewer status " << status;
    // foot draws what it got (while the viewer ran, or after), then goes
    // still; that picture is compared.
    ASSERT_TRUE(scene->wait_still(kQuietMs, kTimeoutMs));
    auto after = scene->viewer_screenshot("foot-typed", error);
    ASSERT_TRUE(after) << error;
    const FrameView after_view{after->pixels.data(), after->width, after->height, after->stride};
    EXPECT_GT(changed_pixels(after_view, *before), 300u) << "the typed text is not in the screenshot";
    const screenshot::Verdict v = screenshot::check_against_reference(
        *after, screenshot::reference_path("interactive-foot-typed"), "interactive-foot-typed", {},
        screenshot::build_out_dir());
    std::printf("%s\n", v.message.c_str());
    EXPECT_TRUE(v.ok) << v.message;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines)
        out += l + "\n";
    return out;
}

TEST(Pointer, ClickFocusesTheRightWindow) {
    const std::string client_path = require_input_client();
    auto scene = start_scene(idle_desktop());
    ASSERT_TRUE(scene);
    // A first; B, larger, second: cascaded over A and reaching past it.
    auto a = LoggedClient::start(*scene, "click-a",
                                 {client_path, "--color", "cc2222", "--size", "300x200"});
    ASSERT_TRUE(a);
    ASSERT_TRUE(wait_colour(*scene, 0xcc2222, 300 * 200 / 2));
    auto b = LoggedClient::start(*scene, "click-b",
                                 {client_path, "--color", "22cc22", "--size", "420x320"});
    ASSERT_TRUE(b);
    std::optional<std::pair<uint32_t, uint32_t>> pa, pb;
    ASSERT_TRUE(scene->wait_for_frame(
        [&](const FrameView& v) {
            const Box box_a = find_colour(v, 0xcc2222);
            pa = point_of(v, 0xcc2222);
            // B's point outside A's box: clicking A raises it over B.
            pb = point_of(v, 0x22cc22, &box_a);
            return pa && pb;
        },
        kTimeoutMs))
        << "no visible part of both windows";
    ASSERT_TRUE(b->wait_for_line(*scene, "keyboard-enter", kTimeoutMs));
    std::ostringstream script;
    script << "click " << pa->first << " " << pa->second << "\ntype a\n"
           << "click " << pb->first << " " << pb->second << "\ntype b\n" << kLinger;
    std::string error;
    auto viewer = ScriptedViewer::start(*scene, "click", script.str(), {}, error);
    ASSERT_TRUE(viewer) << error;
    ASSERT_TRUE(b->wait_for_line(*scene, "key b b released", kTimeoutMs))
        << "B never got its key back";
    EXPECT_TRUE(a->has_line("button 272 pressed"));
    EXPECT_TRUE(a->has_line("key a a pressed")) << "the click did not focus A; A saw:\n"
                                                 << joined(a->lines()) << "B saw:\n"
                                                 << joined(b->lines());
    EXPECT_FALSE(a->has_line("key b b pressed"));
    EXPECT_TRUE(b->has_line("button 272 pressed"));
    EXPECT_FALSE(b->has_line("key a a pressed")) << "A's key went to B";
    viewer->process.stop();
}

TEST(Pointer, ScrollReachesTheClient) {
    const std::string client_path = require_input_client();
    auto scene = start_scene(idle_desktop());
    ASSERT_TRUE(scene);
    auto c = LoggedClient::start(*scene, "scroll", {client_path, "--color", "2255aa"});
    ASSERT_TRUE(c);
    std::optional<std::pair<uint32_t, uint32_t>> p;
    ASSERT_TRUE(scene->wait_for_frame(
        [&](const FrameView& v) { return (p = point_of(v, 0x2255aa)).has_value(); }, kTimeoutMs));
    std::ostringstream script;
    script << "move " << p->first << " " << p->second << "\nscroll 0 2\nscroll -1 0\n" << kLinger;
    std::string error;
    auto viewer = ScriptedViewer::start(*scene, "scroll", script.str(), {}, error);
    ASSERT_TRUE(viewer) << error;
    auto axis_lines = [&](const std::string& axis) {
        std::vector<std::pair<double, int>> out;
        for (const std::string& l : c->lines()) {
            std::istringstream in(l);
            std::string word, which;
            double value = 0;
            int discrete = 0;
            if (in >> word >> which >> value >> discrete && word == "axis" && which == axis)
                out.emplace_back(value, discrete);
        }
        return out;
    };
    ASSERT_TRUE(scene->fixture().pump_until([&] { return !axis_lines("horizontal").empty(); },
                                            kTimeoutMs))
        << "no horizontal scroll arrived";
    double v_value = 0, h_value = 0;
    int v_steps = 0, h_steps = 0;
    for (auto [value, steps] : axis_lines("vertical")) {
        v_value += value;
        v_steps += steps;
    }
    for (auto [value, steps] : axis_lines("horizontal")) {
        h_value += value;
        h_steps += steps;
    }
    EXPECT_EQ(v_steps, 2);
    EXPECT_GT(v_value, 0);
    EXPECT_EQ(h_steps, -1);
    EXPECT_LT(h_value, 0);
    EXPECT_TRUE(c->has_line("axis-source wheel"));
    viewer->process.stop();
}

TEST(Resize, GuestOutputFollowsTheViewer) {
    CompositorOptions opts;
    opts.outputs = {"1024x768"};
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "320x240"};
    auto scene = start_scene(opts);
    ASSERT_TRUE(scene);
    ASSERT_TRUE(scene->wait_for_frame(
        [](const FrameView& v) { return v.width == 1024 && pattern::locate(v.pixels, v.width, v.height, v.stride); },
        kTimeoutMs));
    const std::string png = scene->fixture().runtime_dir() + "/resized.png";
    std::string error;
    auto viewer = ScriptedViewer::start(
        *scene, "resize", "resize 800x600\nwait-size 800x600\nscreenshot " + png + "\nquit\n", {},
        error);
    ASSERT_TRUE(viewer) << error;
    int status = viewer->wait_exit(*scene, 2 * kTimeoutMs);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "viewer status " << status;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(img->width, 800u);
    EXPECT_EQ(img->height, 600u);
    EXPECT_EQ(json_number(viewer->stats(), "mode_requests"), 1);
    // The guest's output stays 800x600: a new viewer sees it so.
    ASSERT_TRUE(scene->wait_still(kQuietMs, kTimeoutMs));
    auto again = scene->viewer_screenshot("resized-again", error);
    ASSERT_TRUE(again) << error;
    EXPECT_EQ(again->width, 800u);
    EXPECT_EQ(again->height, 600u);
}

TEST(Outputs, TwoOutputsEachCaptured) {
    auto scene = start_still_pattern({"640x480", "800x600"});
    ASSERT_TRUE(scene);
    const std::string dir = scene->fixture().runtime_dir() + "/outputs";
    std::filesystem::create_directories(dir);
    std::string error;
    auto viewer = ScriptedViewer::start(*scene, "outputs",
                                        "screenshot " + dir + "/shot.png\nquit\n",
                                        {"--all-outputs"}, error);
    ASSERT_TRUE(viewer) << error;
    int status = viewer->wait_exit(*scene, kTimeoutMs);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "viewer status " << status;
    std::map<std::string, Image> shots;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        auto img = read_png(e.path().c_str());
        ASSERT_TRUE(img) << e.path();
        shots[e.path().filename().string()] = std::move(*img);
    }
    ASSERT_EQ(shots.size(), 2u) << "one screenshot per output";
    std::vector<std::pair<uint32_t, uint32_t>> sizes;
    int with_window = 0;
    for (auto& [name, img] : shots) {
        EXPECT_EQ(name.rfind("shot-", 0), 0u) << name;
        sizes.emplace_back(img.width, img.height);
        with_window += pattern::locate(img.pixels.data(), img.width, img.height, img.stride).has_value();
    }
    std::sort(sizes.begin(), sizes.end());
    EXPECT_EQ(sizes, (std::vector<std::pair<uint32_t, uint32_t>>{{640, 480}, {800, 600}}));
    EXPECT_EQ(with_window, 1) << "the window is on one output, the other shows the desktop";
    EXPECT_EQ(json_number(viewer->stats(), "outputs_shown"), 2);

    // --output NAME picks the 800x600 one by the name its file got.
    std::string name_800;
    for (auto& [name, img] : shots)
        if (img.width == 800)
            name_800 = name.substr(5, name.size() - 5 - 4);
    const std::string png = scene->fixture().runtime_dir() + "/named.png";
    auto named = ScriptedViewer::start(*scene, "named", "screenshot " + png + "\nquit\n",
                                       {"--output", name_800}, error);
    ASSERT_TRUE(named) << error;
    status = named->wait_exit(*scene, kTimeoutMs);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "viewer status " << status;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(img->width, 800u);
}

TEST(Cursor, MotionProducesNoPresent) {
    auto scene = start_still_pattern({"800x600"});
    ASSERT_TRUE(scene);
    std::string error;
    // Over the desktop and across the window, pausing so nothing coalesces.
    auto viewer = ScriptedViewer::start(*scene, "cursor",
                                        "move 700 500\nwait-ms 200\nmove 100 100\nwait-ms 200\n"
                                        "move 150 120\nwait-ms 200\nmove 400 300\nwait-ms 1500\n"
                                        "quit\n",
                                        {}, error);
    ASSERT_TRUE(viewer) << error;
    int status = viewer->wait_exit(*scene, kTimeoutMs);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "viewer status " << status;
    const std::string stats = viewer->stats();
    // The one frame is the re-present every new viewer gets; the moves made none.
    EXPECT_EQ(json_number(stats, "frames"), 1) << stats;
    EXPECT_GE(json_number(stats, "cursor_moves").value_or(0), 1) << stats;
}

// --screenshot-cursor on the headless viewer: its frame is a copy in host
// memory, the cursor is blended over it on the CPU. The same script with and
// without the flag: the images differ, and only where the cursor is.
TEST(Cursor, HeadlessScreenshotBlendsTheCursor) {
    auto scene = start_still_pattern({"800x600"});
    ASSERT_TRUE(scene);
    const std::string dir = scene->fixture().runtime_dir();
    std::string error;
    std::map<std::string, Image> shots;
    std::string with_stats;
    for (const std::string name : {"with-cursor", "without-cursor"}) {
        const std::string png = dir + "/" + name + ".png";
        std::vector<std::string> args;
        if (name == "with-cursor")
            args.push_back("--screenshot-cursor");
        auto viewer = ScriptedViewer::start(
            *scene, name, "move 600 450\nwait-ms 1000\nscreenshot " + png + "\nquit\n", args, error);
        ASSERT_TRUE(viewer) << error;
        int status = viewer->wait_exit(*scene, kTimeoutMs);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "viewer status " << status;
        if (name == "with-cursor")
            with_stats = viewer->stats();
        auto img = read_png(png.c_str());
        ASSERT_TRUE(img) << png;
        shots[name] = std::move(*img);
    }
    EXPECT_GE(json_number(with_stats, "cursor_images").value_or(0), 1) << with_stats;
    const Image& a = shots["with-cursor"];
    const Image& b = shots["without-cursor"];
    ASSERT_EQ(a.width, b.width);
    ASSERT_EQ(a.height, b.height);
    uint64_t differ = 0, outside = 0;
    for (uint32_t y = 0; y < a.height; ++y)
        for (uint32_t x = 0; x < a.width; ++x) {
            const uint8_t* pa = a.pixels.data() + size_t(y) * a.stride + size_t(x) * 4;
            const uint8_t* pb = b.pixels.data() + size_t(y) * b.stride + size_t(x) * 4;
            if (std::equal(pa, pa + 3, pb))
                continue;
            ++differ;
            // The cursor is at most 128x128 with its hotspot inside it.
            if (x + 128 <= 600 || x >= 600 + 128 || y + 128 <= 450 || y >= 450 + 128)
                ++outside;
        }
    EXPECT_GT(differ, 0u) << "the cursor is in the screenshot taken with --screenshot-cursor";
    EXPECT_EQ(outside, 0u) << "pixels differ away from the cursor";
}

} // namespace
} // namespace vdmabuf::interactive
