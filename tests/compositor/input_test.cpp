// Host input into the guest (device spec §8.3, §8.4): INPUT and KEYMAP events sent
// through vdmabufd by a consumer reach real Wayland clients of vdmabuf-compositor
// as the right keysyms, pointer events, focus changes and scrolls.
#include <gtest/gtest.h>

#include "interactive.hpp"

namespace vdmabuf::compositor_test {
namespace {

constexpr int kTimeoutMs = 20000;

uint64_t count_colour(const FrameView& v, uint32_t rgb) {
    uint64_t n = 0;
    for (uint32_t y = 0; y < v.height; ++y)
        for (uint32_t x = 0; x < v.width; ++x)
            n += v.rgb(x, y) == rgb;
    return n;
}

// Pixels of `rgb` on output 0 now.
uint64_t count_now(Session& s, uint32_t rgb) { return count_colour(s.pictures[0].view(), rgb); }

// Waits until output 0 shows more than `than` pixels of `rgb`; the count then.
uint64_t wait_for_more(Session& s, uint32_t rgb, uint64_t than) {
    s.f->pump_until([&] { return count_now(s, rgb) > than; }, kTimeoutMs);
    return count_now(s, rgb);
}

TEST(Input, TypedKeysArriveAsKeysyms) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = InputClient::start(*s->f, {"--size", "300x200"});
    ASSERT_TRUE(client) << "the input client did not map";
    ASSERT_TRUE(client->wait_for_line(*s->f, "keyboard-enter", kTimeoutMs)) << client->dump();
    EXPECT_TRUE(client->since(0, "repeat ").size() >= 1) << "no repeat info" << client->dump();

    const size_t from = client->mark();
    ASSERT_TRUE(s->tap(KEY_H));
    ASSERT_TRUE(s->tap(KEY_I));
    ASSERT_TRUE(s->key(KEY_LEFTSHIFT, true));
    ASSERT_TRUE(s->tap(KEY_1));
    ASSERT_TRUE(s->key(KEY_LEFTSHIFT, false));
    ASSERT_TRUE(s->tap(KEY_ENTER));
    ASSERT_TRUE(client->wait_for_line(*s->f, "key Return - released", kTimeoutMs, from))
        << client->dump();
    const std::vector<std::string> want{
        "key h h pressed",           "key h h released",          "key i i pressed",
        "key i i released",          "key Shift_L - pressed",     "key exclam ! pressed",
        "key exclam ! released",     "key Shift_L - released",    "key Return - pressed",
        "key Return - released"};
    EXPECT_EQ(client->since(from, "key "), want) << client->dump();
    // The guest's xkb state tracked Shift: the client heard the modifier change.
    EXPECT_FALSE(client->since(from, "modifiers 1 ").empty()) << client->dump();
}

TEST(Input, GermanKeymapSwapsZAndY) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = InputClient::start(*s->f, {});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->wait_for_line(*s->f, "keyboard-enter", kTimeoutMs)) << client->dump();
    const size_t from = client->mark();
    ASSERT_TRUE(s->viewer().client().send_keymap(s->guest, "de", ""));
    ASSERT_TRUE(client->wait_for(
        *s->f, [](const std::string& l) { return l.rfind("keymap ", 0) == 0; }, kTimeoutMs, from))
        << "the client never got the new keymap" << client->dump();
    ASSERT_TRUE(s->tap(KEY_Y));
    ASSERT_TRUE(s->tap(KEY_Z));
    ASSERT_TRUE(client->wait_for_line(*s->f, "key y y released", kTimeoutMs, from))
        << client->dump();
    const std::vector<std::string> want{"key z z pressed", "key z z released", "key y y pressed",
                                        "key y y released"};
    EXPECT_EQ(client->since(from, "key "), want) << client->dump();

    // A keymap xkb cannot compile is refused; the German one stays.
    ASSERT_TRUE(s->viewer().client().send_keymap(s->guest, "nosuchlayout", ""));
    const size_t again = client->mark();
    ASSERT_TRUE(s->tap(KEY_Y));
    ASSERT_TRUE(client->wait_for_line(*s->f, "key z z released", kTimeoutMs, again))
        << client->dump();
}

TEST(Input, ClickFocusesTheWindowUnderThePointer) {
    auto s = start_session();
    ASSERT_TRUE(s);
    constexpr uint32_t kRed = 0xcc2222, kGreen = 0x22aa44;
    auto red = InputClient::start(*s->f, {"--size", "200x150", "--color", "cc2222"});
    ASSERT_TRUE(red);
    auto green = InputClient::start(*s->f, {"--size", "200x150", "--color", "22aa44"});
    ASSERT_TRUE(green);
    // The newest window has the focus; the red one is partly under it.
    ASSERT_TRUE(green->wait_for_line(*s->f, "keyboard-enter", kTimeoutMs)) << green->dump();
    ASSERT_TRUE(s->wait_for_colour(kGreen));
    const auto red_at = s->wait_for_colour(kRed);
    ASSERT_TRUE(red_at) << "the red window is not visible";

    const uint64_t red_pixels = count_now(*s, kRed);
    ASSERT_GT(red_pixels, 0u);
    const size_t red_from = red->mark(), green_from = green->mark();
    ASSERT_TRUE(s->click(red_at->first, red_at->second));
    ASSERT_TRUE(red->wait_for_line(*s->f, "keyboard-enter", kTimeoutMs, red_from))
        << red->dump();
    ASSERT_TRUE(green->wait_for_line(*s->f, "keyboard-leave", kTimeoutMs, green_from))
        << green->dump();
    EXPECT_FALSE(red->since(red_from, "enter ").empty()) << red->dump();
    EXPECT_EQ(red->since(red_from, "button "),
              (std::vector<std::string>{"button 272 pressed", "button 272 released"}))
        << red->dump();
    EXPECT_TRUE(green->since(green_from, "button ").empty()) << green->dump();

    // Keys follow the focus; the click raised the red window over the green one.
    ASSERT_TRUE(s->tap(KEY_A));
    ASSERT_TRUE(red->wait_for_line(*s->f, "key a a released", kTimeoutMs, red_from))
        << red->dump();
    EXPECT_TRUE(green->since(green_from, "key ").empty()) << green->dump();
    EXPECT_GT(wait_for_more(*s, kRed, red_pixels), red_pixels)
        << "the clicked window was not raised over the other";
}

TEST(Input, ScrollReachesTheClient) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = start_pointed_client(*s, {"--size", "300x200"});
    ASSERT_TRUE(client);
    const size_t from = client->mark();
    // One wheel notch down (15 units, 1 step), then two-finger scrolling left.
    ASSERT_TRUE(s->input(VDMABUF_INPUT_AXIS, 0, 0, 15 * 256, 1));
    ASSERT_TRUE(s->input(VDMABUF_INPUT_FRAME));
    ASSERT_TRUE(s->input(VDMABUF_INPUT_AXIS, 1, 1, uint32_t(-2560 * 3 / 4), 0));
    ASSERT_TRUE(s->input(VDMABUF_INPUT_FRAME));
    ASSERT_TRUE(client->wait_for_line(*s->f, "axis horizontal -7.5 0", kTimeoutMs, from))
        << client->dump();
    EXPECT_EQ(client->since(from, "axis"),
              (std::vector<std::string>{"axis-source wheel", "axis vertical 15 1",
                                        "axis-source finger", "axis horizontal -7.5 0"}))
        << client->dump();
}

TEST(Input, PointerPositionIsOutputPixels) {
    auto s = start_session({"640x480", "320x240"});
    ASSERT_TRUE(s);
    auto client = InputClient::start(*s->f, {"--size", "300x200"});
    ASSERT_TRUE(client);
    const auto at = s->wait_for_colour(0x3366cc);
    ASSERT_TRUE(at);
    const size_t from = client->mark();
    ASSERT_TRUE(s->move(at->first, at->second));
    ASSERT_TRUE(s->move(at->first + 10.5, at->second + 20.25));
    ASSERT_TRUE(client->wait_for(
        *s->f, [](const std::string& l) { return l.rfind("motion ", 0) == 0; }, kTimeoutMs,
        from))
        << client->dump();
    const auto enter = client->since(from, "enter ");
    const auto motion = client->since(from, "motion ");
    ASSERT_EQ(enter.size(), 1u) << client->dump();
    ASSERT_EQ(motion.size(), 1u) << client->dump();
    double ex = 0, ey = 0, mx = 0, my = 0;
    ASSERT_EQ(std::sscanf(enter[0].c_str(), "enter %lf %lf", &ex, &ey), 2);
    ASSERT_EQ(std::sscanf(motion[0].c_str(), "motion %lf %lf", &mx, &my), 2);
    // Surface coordinates move exactly as far as the output pixels did.
    EXPECT_DOUBLE_EQ(mx - ex, 10.5);
    EXPECT_DOUBLE_EQ(my - ey, 20.25);
    // The second output lies beside the first: a position on it is not on the window.
    const size_t before = client->mark();
    ASSERT_TRUE(s->move(10, 10, 1));
    ASSERT_TRUE(client->wait_for_line(*s->f, "leave", kTimeoutMs, before)) << client->dump();
}

TEST(Input, LeaveReleasesHeldKeysAndButtons) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = start_pointed_client(*s, {"--size", "300x200"});
    ASSERT_TRUE(client);
    const size_t from = client->mark();
    ASSERT_TRUE(s->key(KEY_A, true));
    ASSERT_TRUE(s->button(BTN_RIGHT, true));
    ASSERT_TRUE(client->wait_for_line(*s->f, "button 273 pressed", kTimeoutMs, from))
        << client->dump();
    ASSERT_TRUE(s->input(VDMABUF_INPUT_LEAVE));
    ASSERT_TRUE(client->wait_for_line(*s->f, "key a a released", kTimeoutMs, from))
        << client->dump();
    ASSERT_TRUE(client->wait_for_line(*s->f, "button 273 released", kTimeoutMs, from))
        << client->dump();
}

TEST(Input, OutOfRangeValuesAreDropped) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = start_pointed_client(*s, {"--size", "300x200"});
    ASSERT_TRUE(client);
    const size_t from = client->mark();
    // Past the output, on an output that does not exist, a key past KEY_MAX, a
    // button below BTN_MISC, a modifier mask the keymap lacks, an absurd scroll.
    // Each may be refused by vdmabufd or by the compositor; none may arrive.
    (void)s->input(VDMABUF_INPUT_MOTION, 640 * 256, 10 * 256);
    (void)s->input(VDMABUF_INPUT_MOTION, 10 * 256, 10 * 256, 0, 0, 7);
    (void)s->input(VDMABUF_INPUT_KEY, 0x300, 1);
    (void)s->input(VDMABUF_INPUT_BUTTON, 0x42, 1);
    (void)s->input(VDMABUF_INPUT_MODIFIERS, 0x80000000u, 0, 0, 0);
    (void)s->input(VDMABUF_INPUT_AXIS, 0, 0, 0x7fffffff, 0);
    (void)s->input(VDMABUF_INPUT_FRAME);
    // Then a good key: it arrives, and nothing of the above came before it.
    ASSERT_TRUE(s->tap(KEY_B));
    ASSERT_TRUE(client->wait_for_line(*s->f, "key b b released", kTimeoutMs, from))
        << client->dump();
    for (const std::string& l : client->since(from))
        EXPECT_TRUE(l.rfind("key b b ", 0) == 0) << "unexpected: " << l << "\n" << client->dump();
    EXPECT_FALSE(s->f->compositor_exited());
}

} // namespace
} // namespace vdmabuf::compositor_test
