// The cursor as its own channel (device spec §6.6, §6.7): its image and position
// reach the host as CURSOR_SET / CURSOR_MOVE, never inside frames, so moving the
// pointer costs no PRESENT.
#include <gtest/gtest.h>

#include "interactive.hpp"

#include <cstring>

#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::compositor_test {
namespace {

constexpr int kTimeoutMs = 20000;

// Waits until no PRESENT has come for `quiet_ms`.
bool wait_until_idle(Session& s, int quiet_ms) {
    return s.f->pump_until(
        [&] {
            return s.viewer().presents > 0 &&
                   now_ns() - s.viewer().last_present_ns > uint64_t(quiet_ms) * 1000000;
        },
        kTimeoutMs);
}

bool moved_to(Session& s, uint32_t output, int32_t x, int32_t y) {
    const auto& moves = s.viewer().cursor_moves;
    return !moves.empty() && moves.back().output == output && moves.back().x == x &&
           moves.back().y == y && moves.back().visible;
}

void expect_motion_sends_no_frame(Session& s, double x0, double y0) {
    ASSERT_TRUE(wait_until_idle(s, 500)) << "the desktop never went idle";
    const uint64_t presents = s.viewer().presents;
    const size_t moves_before = s.viewer().cursor_moves.size();
    for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(s.move(x0 + i * 3, y0 + i * 2));
    const int32_t last_x = int32_t(x0) + 49 * 3, last_y = int32_t(y0) + 49 * 2;
    ASSERT_TRUE(s.f->pump_until([&] { return moved_to(s, 0, last_x, last_y); }, kTimeoutMs))
        << "no CURSOR_MOVE to " << last_x << "," << last_y;
    EXPECT_GT(s.viewer().cursor_moves.size(), moves_before);
    s.f->pump_for(1000);
    EXPECT_EQ(s.viewer().presents, presents) << "pointer motion caused PRESENTs";
}

TEST(Cursor, MotionOverTheDesktopSendsCursorMoveAndNoPresent) {
    auto s = start_session();
    ASSERT_TRUE(s);
    expect_motion_sends_no_frame(*s, 20, 20);
    // The default image came with the first position: a theme arrow or ours.
    ASSERT_FALSE(s->viewer().cursor_images.empty());
    const CursorImageEvent& img = s->viewer().cursor_images.back();
    EXPECT_EQ(img.output, 0u);
    EXPECT_GT(img.width, 0u);
    EXPECT_LE(img.width, VDMABUF_MAX_CURSOR);
    EXPECT_LE(img.height, VDMABUF_MAX_CURSOR);
    EXPECT_LT(img.hotspot_x, img.width);
    EXPECT_LT(img.hotspot_y, img.height);
    EXPECT_EQ(img.pixels.size(), size_t(img.width) * img.height * 4);
}

TEST(Cursor, MotionOverAClientSendsNoPresent) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = InputClient::start(*s->f, {"--size", "400x300"});
    ASSERT_TRUE(client);
    const auto at = s->wait_for_colour(0x3366cc);
    ASSERT_TRUE(at);
    const size_t from = client->mark();
    expect_motion_sends_no_frame(*s, at->first, at->second);
    EXPECT_FALSE(client->since(from, "motion ").empty()) << client->dump();
}

TEST(Cursor, ClientCursorImageArrives) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = start_pointed_client(
        *s, {"--size", "300x200", "--cursor", "square", "--cursor-size", "24"});
    ASSERT_TRUE(client);
    auto is_square = [](const CursorImageEvent& c, uint32_t n) {
        if (c.width != n || c.height != n || c.hotspot_x != 1 || c.hotspot_y != 1)
            return false;
        for (size_t i = 0; i + 4 <= c.pixels.size(); i += 4) {
            uint32_t argb;
            std::memcpy(&argb, &c.pixels[i], 4);
            if (argb != 0xffff00ffu)
                return false;
        }
        return true;
    };
    ASSERT_TRUE(s->f->pump_until(
        [&] {
            return !s->viewer().cursor_images.empty() &&
                   is_square(s->viewer().cursor_images.back(), 24);
        },
        kTimeoutMs))
        << "the client's 24x24 cursor never arrived";
    // Back over the desktop: the default image again (the theme's may be 24x24 too).
    const auto& images = s->viewer().cursor_images;
    ASSERT_TRUE(s->move(2, 2));
    ASSERT_TRUE(s->f->pump_until(
        [&] { return images.back().width > 0 && !is_square(images.back(), 24); }, kTimeoutMs))
        << images.size() << " images, the last " << images.back().width << "x"
        << images.back().height;
}

TEST(Cursor, LargeClientCursorIsClippedTo128) {
    auto s = start_session();
    ASSERT_TRUE(s);
    auto client = start_pointed_client(
        *s, {"--size", "300x200", "--cursor", "square", "--cursor-size", "200"});
    ASSERT_TRUE(client);
    ASSERT_TRUE(s->f->pump_until(
        [&] {
            const auto& images = s->viewer().cursor_images;
            return !images.empty() && images.back().width == VDMABUF_MAX_CURSOR;
        },
        kTimeoutMs));
    const CursorImageEvent& img = s->viewer().cursor_images.back();
    EXPECT_EQ(img.height, VDMABUF_MAX_CURSOR);
    // Clipped around the hotspot (1,1), which stays where it points.
    EXPECT_EQ(img.hotspot_x, 1u);
    EXPECT_EQ(img.hotspot_y, 1u);
}

TEST(Cursor, HiddenCursorAndOtherOutputs) {
    auto s = start_session({"640x480", "320x240"});
    ASSERT_TRUE(s);
    auto client = start_pointed_client(*s, {"--size", "300x200", "--cursor", "none"});
    ASSERT_TRUE(client);
    // wl_pointer.set_cursor(NULL): a 0x0 image, moves with visible = 0.
    ASSERT_TRUE(s->f->pump_until(
        [&] {
            const auto& images = s->viewer().cursor_images;
            return !images.empty() && images.back().width == 0;
        },
        kTimeoutMs));
    // To the second output: the cursor shows there, and output 0 hides it.
    ASSERT_TRUE(s->move(5, 6, 1));
    ASSERT_TRUE(s->f->pump_until([&] { return moved_to(*s, 1, 5, 6); }, kTimeoutMs));
    bool hidden_on_0 = false;
    for (const CursorMoveEvent& m : s->viewer().cursor_moves)
        if (m.output == 0 && !m.visible)
            hidden_on_0 = true;
    EXPECT_TRUE(hidden_on_0);
    bool image_on_1 = false;
    for (const CursorImageEvent& c : s->viewer().cursor_images)
        if (c.output == 1 && c.width > 0)
            image_on_1 = true;
    EXPECT_TRUE(image_on_1);
}

} // namespace
} // namespace vdmabuf::compositor_test
