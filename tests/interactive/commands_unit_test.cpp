// The viewer's input pieces without a pipeline: the --commands parser, the
// US-layout ASCII table, evdev key names, keymap names and the window to
// output pointer mapping (letterbox and scale).
#include <gtest/gtest.h>

#include <linux/input-event-codes.h>

#include "input/commands.hpp"
#include "input/keys.hpp"
#include "input/pointer_map.hpp"

namespace vdmabuf::viewer {
namespace {

TEST(Commands, ParsesEveryCommand) {
    std::string error;
    auto cmds = parse_commands("# comment\n\nkeymap de:nodeadkeys\ntype Hello, world!\n"
                               "key KEY_ENTER\nkey 30 press\nmove 10 20\nclick 5 6 right\n"
                               "scroll 0 -3\nresize 800x600\nwait-frames 2\nwait-size 800x600\n"
                               "wait-ms 100\nscreenshot /tmp/x.png\nquit\n",
                               &error);
    ASSERT_TRUE(cmds) << error;
    ASSERT_EQ(cmds->size(), 13u);
    using K = Command::Kind;
    EXPECT_EQ((*cmds)[0].kind, K::Keymap);
    EXPECT_EQ((*cmds)[0].line, 3u);
    EXPECT_EQ((*cmds)[1].text, "Hello, world!");
    EXPECT_EQ((*cmds)[2].code, uint32_t(KEY_ENTER));
    EXPECT_TRUE((*cmds)[2].press && (*cmds)[2].release);
    EXPECT_EQ((*cmds)[3].code, 30u);
    EXPECT_TRUE((*cmds)[3].press);
    EXPECT_FALSE((*cmds)[3].release);
    EXPECT_EQ((*cmds)[4].x, 10);
    EXPECT_EQ((*cmds)[4].y, 20);
    EXPECT_EQ((*cmds)[5].code, uint32_t(BTN_RIGHT));
    EXPECT_EQ((*cmds)[6].y, -3);
    EXPECT_EQ((*cmds)[7].kind, K::Resize);
    EXPECT_EQ((*cmds)[7].x, 800);
    EXPECT_EQ((*cmds)[8].n, 2u);
    EXPECT_EQ((*cmds)[9].kind, K::WaitSize);
    EXPECT_EQ((*cmds)[11].text, "/tmp/x.png");
    EXPECT_EQ((*cmds)[12].kind, K::Quit);
}

TEST(Commands, ErrorsNameTheLine) {
    const std::pair<const char*, const char*> bad[] = {
        {"quit\nfly 1 2\n", "line 2: unknown command fly"},
        {"move 1\n", "line 1: move: expected X Y"},
        {"\nclick 1 2 side\n", "line 2: click: expected left, right or middle, not side"},
        {"key KEY_NOPE\n", "line 1: key: unknown key KEY_NOPE"},
        {"resize 800by600\n", "line 1: resize: expected WxH"},
        {"type caf\xc3\xa9\n", "line 1: type: no US key types"},
        {"wait-ms soon\n", "line 1: wait-ms: expected a number"},
        {"keymap :dvorak\n", "line 1: keymap: expected LAYOUT[:VARIANT]"},
    };
    for (auto [script, want] : bad) {
        std::string error;
        EXPECT_FALSE(parse_commands(script, &error)) << script;
        EXPECT_EQ(error.rfind(want, 0), 0u) << "got: " << error;
    }
}

TEST(Keys, UsLayoutAscii) {
    auto a = us_key_for('a'), A = us_key_for('A'), bang = us_key_for('!'), nl = us_key_for('\n');
    ASSERT_TRUE(a && A && bang && nl);
    EXPECT_EQ(a->code, uint32_t(KEY_A));
    EXPECT_FALSE(a->shift);
    EXPECT_EQ(A->code, uint32_t(KEY_A));
    EXPECT_TRUE(A->shift);
    EXPECT_EQ(bang->code, uint32_t(KEY_1));
    EXPECT_TRUE(bang->shift);
    EXPECT_EQ(nl->code, uint32_t(KEY_ENTER));
    EXPECT_FALSE(us_key_for('\x01'));
    // Every printable ASCII character has a key.
    for (char c = ' '; c < 127; ++c)
        EXPECT_TRUE(us_key_for(c)) << c;
}

TEST(Keys, NamesAndKeymaps) {
    EXPECT_EQ(key_code_from_name("KEY_LEFTSHIFT"), uint32_t(KEY_LEFTSHIFT));
    EXPECT_EQ(key_code_from_name("BTN_LEFT"), uint32_t(BTN_LEFT));
    EXPECT_EQ(key_code_from_name("28"), 28u);
    EXPECT_FALSE(key_code_from_name("99999"));
    EXPECT_FALSE(key_code_from_name("KEY_"));
    auto k = parse_keymap("us,ru:,phonetic");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->layout, "us,ru");
    EXPECT_EQ(k->variant, ",phonetic");
    EXPECT_FALSE(parse_keymap(""));
    EXPECT_FALSE(parse_keymap(std::string(24, 'x'))); // no room for the NUL
    EXPECT_TRUE(parse_keymap(std::string(23, 'x')));
}

TEST(PointerMap, OneToOne) {
    auto p = window_to_output(10.5, 20.25, 800, 600, 800, 600);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first, uint32_t(10.5 * 256));
    EXPECT_EQ(p->second, uint32_t(20.25 * 256));
}

TEST(PointerMap, LetterboxedAndScaled) {
    // 800x600 in a 1000x600 window: scale 1, bars of 100 on each side.
    EXPECT_FALSE(window_to_output(50, 300, 800, 600, 1000, 600));
    EXPECT_FALSE(window_to_output(950, 300, 800, 600, 1000, 600));
    auto p = window_to_output(100, 0, 800, 600, 1000, 600);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first, 0u);
    // 800x600 in a 400x300 window: half size, so window (200, 150) is (400, 300).
    p = window_to_output(200, 150, 800, 600, 400, 300);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first, 400u * 256);
    EXPECT_EQ(p->second, 300u * 256);
    // 800x600 in 800x800: bars of 100 above and below.
    EXPECT_FALSE(window_to_output(400, 99, 800, 600, 800, 800));
    p = window_to_output(400, 699.99, 800, 600, 800, 800);
    ASSERT_TRUE(p);
    EXPECT_LT(p->second, 600u * 256); // clamped inside
    EXPECT_FALSE(window_to_output(1, 1, 0, 0, 800, 600));
}

} // namespace
} // namespace vdmabuf::viewer
