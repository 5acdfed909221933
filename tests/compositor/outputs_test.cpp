// Outputs of the interactive session (device spec §6.5, §8.5, §8.6): every output
// is announced with its name and mode; MODE resizes one (new buffers at the new
// size, a configure for a maximized window, the old buffers retired once let go);
// HOTPLUG adds and removes outputs at run time.
#include <gtest/gtest.h>

#include "interactive.hpp"

#include <algorithm>

namespace vdmabuf::compositor_test {
namespace {

constexpr int kTimeoutMs = 20000;

// The newest OUTPUT of `index` the viewer heard, if any.
const OutputEvent* last_output(Session& s, uint32_t index) {
    const OutputEvent* last = nullptr;
    for (const OutputEvent& o : s.viewer().outputs)
        if (o.output == index)
            last = &o;
    return last;
}

bool wait_for_output(Session& s, uint32_t index, uint32_t flags, uint32_t w, uint32_t h) {
    return s.f->pump_until(
        [&] {
            const OutputEvent* o = last_output(s, index);
            return o && o->flags == flags && o->width == w && o->height == h;
        },
        kTimeoutMs);
}

TEST(Outputs, EveryOutputIsAnnounced) {
    auto s = start_session({"640x480", "320x240@30"});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for_output(*s, 0, VDMABUF_OUTPUT_CONNECTED, 640, 480));
    ASSERT_TRUE(wait_for_output(*s, 1, VDMABUF_OUTPUT_CONNECTED, 320, 240));
    EXPECT_EQ(last_output(*s, 0)->refresh_mhz, 60000u);
    EXPECT_EQ(last_output(*s, 1)->refresh_mhz, 30000u);
    // In --output order: index 0 is the first output wlroots made.
    EXPECT_EQ(last_output(*s, 0)->name, "HEADLESS-1");
    EXPECT_EQ(last_output(*s, 1)->name, "HEADLESS-2");
    // Both show frames of their own size.
    ASSERT_TRUE(s->f->pump_until(
        [&] { return s->pictures[0].width == 640 && s->pictures[1].width == 320; }, kTimeoutMs));
    EXPECT_EQ(s->pictures[1].height, 240u);
}

TEST(Outputs, ModeChangesTheOutputSize) {
    auto s = start_session({"640x480"});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for_output(*s, 0, VDMABUF_OUTPUT_CONNECTED, 640, 480));
    auto client = InputClient::start(*s->f, {"--size", "200x100", "--maximize"});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->wait_for(
        *s->f, [](const std::string& l) { return l.rfind("configure 640 480 maximized", 0) == 0; },
        kTimeoutMs))
        << client->dump();
    ASSERT_TRUE(s->f->pump_until([&] { return s->pictures[0].width == 640; }, kTimeoutMs));

    const size_t from = client->mark();
    ASSERT_TRUE(s->viewer().client().request_mode(s->guest, 0, 800, 600, 0));
    ASSERT_TRUE(wait_for_output(*s, 0, VDMABUF_OUTPUT_CONNECTED, 800, 600))
        << "no OUTPUT answering the MODE";
    ASSERT_TRUE(client->wait_for(
        *s->f, [](const std::string& l) { return l.rfind("configure 800 600 maximized", 0) == 0; },
        kTimeoutMs, from))
        << client->dump();
    // Frames of the new size arrive, showing the client at the new size: blue
    // everywhere (the maximized window covers the output).
    ASSERT_TRUE(s->f->pump_until(
        [&] {
            const auto& pic = s->pictures[0];
            return pic.width == 800 && pic.height == 600 && pic.rgb.front() == 0x3366cc &&
                   pic.rgb.back() == 0x3366cc;
        },
        kTimeoutMs))
        << "last frame " << s->pictures[0].width << "x" << s->pictures[0].height;
    EXPECT_TRUE(s->viewer().errors.empty());

    // A mode equal to the current one is answered too (OUTPUT, unchanged).
    const size_t announced = s->viewer().outputs.size();
    ASSERT_TRUE(s->viewer().client().request_mode(s->guest, 0, 800, 600, 0));
    ASSERT_TRUE(s->f->pump_until([&] { return s->viewer().outputs.size() > announced; },
                                 kTimeoutMs));
    EXPECT_EQ(s->viewer().outputs.back().width, 800u);
}

TEST(Outputs, FullscreenWindowFollowsTheMode) {
    auto s = start_session({"640x480"});
    ASSERT_TRUE(s);
    auto client = InputClient::start(*s->f, {"--size", "200x100", "--fullscreen"});
    ASSERT_TRUE(client);
    auto fullscreen_at = [](uint32_t w, uint32_t h) {
        const std::string want = "configure " + std::to_string(w) + " " + std::to_string(h);
        return [want](const std::string& l) {
            return l.rfind(want + " ", 0) == 0 && l.find(" fullscreen") != std::string::npos;
        };
    };
    ASSERT_TRUE(client->wait_for(*s->f, fullscreen_at(640, 480), kTimeoutMs)) << client->dump();
    const size_t from = client->mark();
    ASSERT_TRUE(s->viewer().client().request_mode(s->guest, 0, 1024, 768, 0));
    ASSERT_TRUE(client->wait_for(*s->f, fullscreen_at(1024, 768), kTimeoutMs, from))
        << client->dump();
    // The window covers the whole new output.
    ASSERT_TRUE(s->f->pump_until(
        [&] {
            const auto& pic = s->pictures[0];
            return pic.width == 1024 && pic.rgb.front() == 0x3366cc && pic.rgb.back() == 0x3366cc;
        },
        kTimeoutMs));
}

TEST(Outputs, ResizedAwayBuffersAreRetired) {
    auto s = start_session({"640x480"});
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->f->pump_until([&] { return s->pictures[0].width == 640; }, kTimeoutMs));
    ASSERT_TRUE(s->viewer().client().request_mode(s->guest, 0, 400, 300, 0));
    ASSERT_TRUE(wait_for_output(*s, 0, VDMABUF_OUTPUT_CONNECTED, 400, 300));
    ASSERT_TRUE(s->f->pump_until([&] { return s->pictures[0].width == 400; }, kTimeoutMs));
    EXPECT_EQ(s->pictures[0].height, 300u);
    // The viewer let go of every 640x480 frame at once, so the compositor UNEXPORTs
    // those buffers: each one ends with a BUFFER_GONE.
    auto all_old_gone = [&] {
        for (const consumer::BufferInfo& b : s->viewer().buffers_seen) {
            if (b.width != 640)
                continue;
            if (std::none_of(s->viewer().buffers_gone.begin(), s->viewer().buffers_gone.end(),
                             [&](const vdmabuf_id& id) { return consumer::same_id(id, b.id); }))
                return false;
        }
        return true;
    };
    EXPECT_TRUE(s->f->pump_until(all_old_gone, kTimeoutMs))
        << "640x480 buffers still exported after the resize";
    // None of the new ones went.
    for (const consumer::BufferInfo& b : s->viewer().buffers_seen) {
        if (b.width == 400) {
            EXPECT_TRUE(std::none_of(
                s->viewer().buffers_gone.begin(), s->viewer().buffers_gone.end(),
                [&](const vdmabuf_id& id) { return consumer::same_id(id, b.id); }));
        }
    }
    EXPECT_TRUE(s->viewer().errors.empty());
}

TEST(Outputs, HotplugAddsAndRemovesAnOutput) {
    auto s = start_session({"640x480"});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for_output(*s, 0, VDMABUF_OUTPUT_CONNECTED, 640, 480));
    ASSERT_TRUE(s->viewer().client().request_hotplug(s->guest, 1, true, 320, 200, 0));
    ASSERT_TRUE(wait_for_output(*s, 1, VDMABUF_OUTPUT_CONNECTED, 320, 200))
        << "no OUTPUT for the added output";
    const std::string name = last_output(*s, 1)->name;
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, last_output(*s, 0)->name);
    ASSERT_TRUE(s->f->pump_until(
        [&] { return s->pictures.count(1) && s->pictures[1].width == 320; }, kTimeoutMs))
        << "no frame on output 1";
    EXPECT_EQ(s->pictures[1].height, 200u);

    ASSERT_TRUE(s->viewer().client().request_hotplug(s->guest, 1, false));
    ASSERT_TRUE(wait_for_output(*s, 1, 0, 0, 0)) << "no OUTPUT saying output 1 is gone";
    // No frame comes for output 1 any more, while output 0 still works.
    s->f->pump_for(300);
    const uint64_t on_1 = s->viewer().presents_on[1];
    auto client = InputClient::start(*s->f, {"--size", "100x100"});
    ASSERT_TRUE(client);
    ASSERT_TRUE(s->wait_for_colour(0x3366cc));
    s->f->pump_for(300);
    EXPECT_EQ(s->viewer().presents_on[1], on_1);
    EXPECT_FALSE(s->f->compositor_exited());

    // Added again at the same index, with another size.
    ASSERT_TRUE(s->viewer().client().request_hotplug(s->guest, 1, true, 256, 128, 0));
    ASSERT_TRUE(wait_for_output(*s, 1, VDMABUF_OUTPUT_CONNECTED, 256, 128));
    ASSERT_TRUE(s->f->pump_until([&] { return s->pictures[1].width == 256; }, kTimeoutMs));
}

TEST(Outputs, MaximizedWindowMovesWhenItsOutputGoes) {
    auto s = start_session({"640x480", "320x240"});
    ASSERT_TRUE(s);
    auto client = InputClient::start(*s->f, {"--size", "200x100", "--maximize"});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->wait_for(
        *s->f, [](const std::string& l) { return l.rfind("configure 640 480 maximized", 0) == 0; },
        kTimeoutMs))
        << client->dump();
    const size_t from = client->mark();
    ASSERT_TRUE(s->viewer().client().request_hotplug(s->guest, 0, false));
    ASSERT_TRUE(wait_for_output(*s, 0, 0, 0, 0));
    // It fills the output that is left, and shows there.
    ASSERT_TRUE(client->wait_for(
        *s->f, [](const std::string& l) { return l.rfind("configure 320 240 maximized", 0) == 0; },
        kTimeoutMs, from))
        << client->dump();
    ASSERT_TRUE(s->f->pump_until(
        [&] {
            const auto& pic = s->pictures[1];
            return pic.width == 320 && !pic.rgb.empty() && pic.rgb.front() == 0x3366cc &&
                   pic.rgb.back() == 0x3366cc;
        },
        kTimeoutMs));
    EXPECT_FALSE(s->f->compositor_exited());
}

TEST(Outputs, RequestsForMissingOutputsAreIgnored) {
    auto s = start_session({"640x480"});
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for_output(*s, 0, VDMABUF_OUTPUT_CONNECTED, 640, 480));
    const size_t announced = s->viewer().outputs.size();
    (void)s->viewer().client().request_mode(s->guest, 5, 800, 600, 0);
    (void)s->viewer().client().request_hotplug(s->guest, 6, false);
    s->f->pump_for(500);
    EXPECT_EQ(s->viewer().outputs.size(), announced);
    EXPECT_FALSE(s->f->compositor_exited());
}

} // namespace
} // namespace vdmabuf::compositor_test
