// The interactive session through a real vdmabufd: feature negotiation, INPUT /
// KEYMAP / MODE / HOTPLUG from a consumer Client to a frontend Device, OUTPUT and
// cursor from the Device to viewers, replay to late viewers, errors, LEAVE on
// viewer disconnect.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <linux/input-event-codes.h>

#include "session_fixture.hpp"

namespace vdmabuf::harness {
namespace {


TEST_F(Session, FeaturesAreNegotiated) {
    auto all = open_guest("all");
    ASSERT_TRUE(all);
    EXPECT_EQ(all->device->features(), kAll);
    auto some = open_guest("some", (1u << VDMABUF_F_INPUT) | (1u << VDMABUF_F_CURSOR));
    ASSERT_TRUE(some);
    EXPECT_EQ(some->device->features(), (1u << VDMABUF_F_INPUT) | (1u << VDMABUF_F_CURSOR));
    auto none = open_guest("none", 0);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->device->features(), 0u);
}

TEST_F(Session, InputBurstArrivesInOrder) {
    auto guest = open_guest("typist");
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    const uint32_t g = guest->device->guest_id();

    ASSERT_TRUE(viewer->client->send_keymap(g, "de", "nodeadkeys"));
    constexpr uint32_t kKeys = 600; // more than the guest's 256 posted eventq buffers
    for (uint32_t i = 0; i < kKeys; ++i)
        ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_KEY, KEY_A + i % 26, i % 2));
    ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_MODIFIERS, 1, 2, 4, 1));
    ASSERT_TRUE(pump_until([&] { return guest->inputs.size() == kKeys + 1; }, 10000,
                           {guest.get()}, {viewer.get()}));
    ASSERT_EQ(guest->keymaps.size(), 1u);
    EXPECT_EQ(guest->keymaps[0].layout, "de");
    EXPECT_EQ(guest->keymaps[0].variant, "nodeadkeys");
    uint64_t last_time = 0;
    for (uint32_t i = 0; i < kKeys; ++i) {
        const frontend::InputEvent& e = guest->inputs[i];
        ASSERT_EQ(e.kind, uint32_t(VDMABUF_INPUT_KEY)) << i;
        ASSERT_EQ(e.a, KEY_A + i % 26) << i;
        ASSERT_EQ(e.b, i % 2) << i;
        ASSERT_GE(e.time_ns, last_time) << "stamped with CLOCK_MONOTONIC at send";
        last_time = e.time_ns;
    }
    const frontend::InputEvent& m = guest->inputs[kKeys];
    EXPECT_EQ(m.kind, uint32_t(VDMABUF_INPUT_MODIFIERS));
    EXPECT_EQ(m.a, 1u);
    EXPECT_EQ(m.b, 2u);
    EXPECT_EQ(m.c, 4u);
    EXPECT_EQ(m.d, 1u);
    EXPECT_EQ(guest->device->counters().events_invalid, 0u);
    EXPECT_TRUE(viewer->errors.empty());
}

TEST_F(Session, MotionIsNotCoalescedWhileTheGuestTakesEvents) {
    auto guest = open_guest("mover");
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    const uint32_t g = guest->device->guest_id();
    for (uint32_t i = 1; i <= 50; ++i) {
        ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_MOTION, i * 256, i * 512));
        ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_FRAME));
        ASSERT_TRUE(pump_until([&] { return guest->inputs.size() == 2 * i; }, 5000,
                               {guest.get()}, {viewer.get()}))
            << "motion " << i;
    }
    for (uint32_t i = 0; i < 50; ++i) {
        EXPECT_EQ(guest->inputs[2 * i].kind, uint32_t(VDMABUF_INPUT_MOTION));
        EXPECT_EQ(guest->inputs[2 * i].a, (i + 1) * 256);
        EXPECT_EQ(guest->inputs[2 * i + 1].kind, uint32_t(VDMABUF_INPUT_FRAME));
    }
}

TEST_F(Session, MotionCoalescesWhenTheGuestPostsNoBuffers) {
    // 16 eventq buffers, and the guest does not dispatch (re-post) until the end.
    auto guest = open_guest("stalled", kAll, 16);
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    const uint32_t g = guest->device->guest_id();

    for (uint32_t i = 0; i < 16; ++i) // fill every posted buffer
        ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_KEY, KEY_1, i % 2));
    ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_BUTTON, BTN_LEFT, 1));
    ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_FRAME));
    for (uint32_t i = 1; i <= 200; ++i) {
        ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_MOTION, i * 256, 7 * 256));
        ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_FRAME));
    }
    ASSERT_TRUE(viewer->client->send_input(g, 1, VDMABUF_INPUT_MOTION, 5, 5)); // other output
    ASSERT_TRUE(viewer->client->send_input(g, 1, VDMABUF_INPUT_FRAME));
    ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_BUTTON, BTN_LEFT, 0));
    ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_FRAME));
    sync(*viewer);

    // 16 keys, BUTTON, FRAME, one MOTION (the last) + FRAME, output 1's MOTION +
    // FRAME, BUTTON, FRAME.
    const size_t expected = 16 + 2 + 2 + 2 + 2;
    ASSERT_TRUE(pump_until([&] { return guest->inputs.size() >= expected; }, 10000,
                           {guest.get()}, {viewer.get()}));
    ASSERT_FALSE(pump_until([&] { return guest->inputs.size() > expected; }, 200,
                            {guest.get()}, {viewer.get()}));
    const auto& in = guest->inputs;
    for (size_t i = 0; i < 16; ++i)
        EXPECT_EQ(in[i].kind, uint32_t(VDMABUF_INPUT_KEY));
    EXPECT_EQ(in[16].kind, uint32_t(VDMABUF_INPUT_BUTTON));
    EXPECT_EQ(in[16].b, 1u);
    EXPECT_EQ(in[17].kind, uint32_t(VDMABUF_INPUT_FRAME));
    EXPECT_EQ(in[18].kind, uint32_t(VDMABUF_INPUT_MOTION));
    EXPECT_EQ(in[18].a, 200u * 256) << "the newest position wins";
    EXPECT_EQ(in[19].kind, uint32_t(VDMABUF_INPUT_FRAME));
    EXPECT_EQ(in[20].kind, uint32_t(VDMABUF_INPUT_MOTION));
    EXPECT_EQ(in[20].output, 1u);
    EXPECT_EQ(in[21].kind, uint32_t(VDMABUF_INPUT_FRAME));
    EXPECT_EQ(in[22].kind, uint32_t(VDMABUF_INPUT_BUTTON));
    EXPECT_EQ(in[22].b, 0u);
    EXPECT_EQ(in[23].kind, uint32_t(VDMABUF_INPUT_FRAME));

    const auto json = viewer->client->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_STATS);
    ASSERT_TRUE(json);
    EXPECT_NE(json->find("\"motion_coalesced\":199"), std::string::npos) << *json;
}

TEST_F(Session, UnnegotiatedFeatureSendsNothing) {
    auto guest = open_guest("old", 0);
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    auto control = ViewerActor::connect(daemon_->consumer_socket(), {}, VDMABUF_CONSUMER_ANY,
                                        VDMABUF_ROLE_CONTROL);
    ASSERT_TRUE(control);
    const uint32_t g = guest->device->guest_id();

    ASSERT_TRUE(viewer->client->send_input(g, 0, VDMABUF_INPUT_KEY, KEY_A, 1));
    ASSERT_TRUE(viewer->client->send_keymap(g, "us", ""));
    ASSERT_TRUE(control->client->request_mode(g, 0, 800, 600));
    ASSERT_TRUE(control->client->request_hotplug(g, 1, true, 640, 480));
    ASSERT_TRUE(pump_until([&] { return viewer->errors.size() == 2 && control->errors.size() == 2; },
                           5000, {guest.get()}, {viewer.get(), control.get()}));
    for (const auto* list : {&viewer->errors, &control->errors})
        for (const DeviceError& e : *list) {
            EXPECT_EQ(e.request, uint32_t(VDMABUF_C_GUEST_EVENT));
            EXPECT_EQ(e.code, uint32_t(VDMABUF_C_ERR_UNSUPPORTED));
        }
    // Only the REFRESHes of the viewers' arrival reach the guest.
    ASSERT_FALSE(pump_until(
        [&] {
            const frontend::DeviceCounters c = guest->device->counters();
            return c.events_received != c.refreshes;
        },
        300, {guest.get()}, {viewer.get()}))
        << "the guest got an event of a feature it did not negotiate";

    // The guest side of the same rule: requests of un-negotiated features.
    errno = 0;
    EXPECT_FALSE(guest->device->move_cursor(0, 1, 1, true));
    EXPECT_EQ(errno, ENOTSUP);
    EXPECT_FALSE(guest->device->announce_output(0, true, 640, 480, 60000, "X-1"));
    EXPECT_EQ(errno, ENOTSUP);
    vdmabuf_cmd_cursor_move raw{};
    raw.hdr = {VDMABUF_CMD_CURSOR_MOVE, 0, 77};
    ASSERT_TRUE(guest->device->send_raw({reinterpret_cast<const uint8_t*>(&raw), sizeof raw}));
    ASSERT_TRUE(pump_until([&] { return !guest->errors.empty(); }, 5000, {guest.get()},
                           {viewer.get()}));
    EXPECT_EQ(guest->errors[0].code, uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    EXPECT_EQ(guest->errors[0].tag, 77u);
    EXPECT_TRUE(viewer->cursor_moves.empty());
}

TEST_F(Session, ModeAndHotplugRoundTrip) {
    auto guest = open_guest("resizable");
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    auto control = ViewerActor::connect(daemon_->consumer_socket(), {}, VDMABUF_CONSUMER_ANY,
                                        VDMABUF_ROLE_CONTROL);
    ASSERT_TRUE(control);
    const uint32_t g = guest->device->guest_id();

    // A MODE names an output the guest has connected (consumer spec §8 rule 7):
    // one it never announced is refused, and the guest hears nothing of it.
    ASSERT_TRUE(guest->device->announce_output(0, true, 1024, 768, 60000, "HEADLESS-1"));
    ASSERT_TRUE(pump_until([&] { return viewer->outputs.size() == 1; }, 5000, {guest.get()},
                           {viewer.get(), control.get()}));
    ASSERT_TRUE(control->client->request_mode(g, 7, 800, 600));
    ASSERT_TRUE(pump_until([&] { return control->errors.size() == 1; }, 5000, {guest.get()},
                           {viewer.get(), control.get()}));
    EXPECT_EQ(control->errors[0].code, uint32_t(VDMABUF_C_ERR_UNKNOWN_OUTPUT));
    control->errors.clear();
    viewer->outputs.clear();

    ASSERT_TRUE(viewer->client->request_mode(g, 0, 1280, 720, 60000));
    ASSERT_TRUE(control->client->request_hotplug(g, 2, true, 800, 600));
    ASSERT_TRUE(control->client->request_hotplug(g, 3, false));
    ASSERT_TRUE(pump_until([&] { return guest->modes.size() == 1 && guest->hotplugs.size() == 2; },
                           5000, {guest.get()}, {viewer.get(), control.get()}));
    EXPECT_EQ(guest->modes[0].output, 0u);
    EXPECT_EQ(guest->modes[0].width, 1280u);
    EXPECT_EQ(guest->modes[0].height, 720u);
    EXPECT_EQ(guest->modes[0].refresh_mhz, 60000u);
    EXPECT_EQ(guest->hotplugs[0].output, 2u);
    EXPECT_TRUE(guest->hotplugs[0].connected);
    EXPECT_EQ(guest->hotplugs[0].width, 800u);
    EXPECT_FALSE(guest->hotplugs[1].connected);

    // The guest answers with OUTPUT; the viewer hears it.
    ASSERT_TRUE(guest->device->announce_output(0, true, 1280, 720, 60000, "HEADLESS-1"));
    ASSERT_TRUE(guest->device->announce_output(2, true, 800, 600, 0, "HEADLESS-3"));
    ASSERT_TRUE(pump_until([&] { return viewer->outputs.size() == 2; }, 5000, {guest.get()},
                           {viewer.get(), control.get()}));
    EXPECT_EQ(viewer->outputs[0].guest, g);
    EXPECT_EQ(viewer->outputs[0].output, 0u);
    EXPECT_EQ(viewer->outputs[0].flags, VDMABUF_OUTPUT_CONNECTED);
    EXPECT_EQ(viewer->outputs[0].width, 1280u);
    EXPECT_EQ(viewer->outputs[0].height, 720u);
    EXPECT_EQ(viewer->outputs[0].refresh_mhz, 60000u);
    EXPECT_EQ(viewer->outputs[0].name, "HEADLESS-1");
    EXPECT_EQ(viewer->outputs[1].name, "HEADLESS-3");
    ASSERT_TRUE(guest->device->announce_output(2, false, 0, 0, 0, ""));
    ASSERT_TRUE(pump_until([&] { return viewer->outputs.size() == 3; }, 5000, {guest.get()},
                           {viewer.get(), control.get()}));
    EXPECT_EQ(viewer->outputs[2].output, 2u);
    EXPECT_EQ(viewer->outputs[2].flags, 0u);
    EXPECT_TRUE(guest->errors.empty());
    EXPECT_TRUE(viewer->errors.empty());
    EXPECT_TRUE(control->errors.empty());
}

std::vector<uint8_t> cursor_pixels(uint32_t w, uint32_t h, uint32_t seed) {
    std::vector<uint8_t> px(size_t(w) * h * 4);
    for (size_t i = 0; i < px.size(); ++i)
        px[i] = static_cast<uint8_t>(i * 31 + seed + (i >> 9));
    return px;
}

TEST_F(Session, CursorImageBytesArriveExactly) {
    auto guest = open_guest("pointer");
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    const auto big = cursor_pixels(VDMABUF_MAX_CURSOR, VDMABUF_MAX_CURSOR, 3);
    const auto small = cursor_pixels(24, 17, 9);
    ASSERT_TRUE(guest->device->set_cursor(0, VDMABUF_MAX_CURSOR, VDMABUF_MAX_CURSOR, 127, 0, big));
    ASSERT_TRUE(guest->device->set_cursor(1, 24, 17, 3, 16, small));
    ASSERT_TRUE(guest->device->set_cursor(0, 0, 0, 0, 0, {}));
    ASSERT_TRUE(guest->device->move_cursor(1, -5, 4000, true));
    ASSERT_TRUE(pump_until([&] { return viewer->cursor_images.size() == 3 &&
                                        viewer->cursor_moves.size() == 1; },
                           5000, {guest.get()}, {viewer.get()}));
    const auto& a = viewer->cursor_images[0];
    EXPECT_EQ(a.output, 0u);
    EXPECT_EQ(a.width, VDMABUF_MAX_CURSOR);
    EXPECT_EQ(a.hotspot_x, 127u);
    EXPECT_TRUE(a.pixels == big);
    const auto& b = viewer->cursor_images[1];
    EXPECT_EQ(b.output, 1u);
    EXPECT_EQ(b.width, 24u);
    EXPECT_EQ(b.height, 17u);
    EXPECT_EQ(b.hotspot_y, 16u);
    EXPECT_TRUE(b.pixels == small);
    EXPECT_EQ(viewer->cursor_images[2].width, 0u);
    EXPECT_TRUE(viewer->cursor_images[2].pixels.empty());
    const consumer::CursorMove& m = viewer->cursor_moves[0];
    EXPECT_EQ(m.guest, guest->device->guest_id());
    EXPECT_EQ(m.output, 1u);
    EXPECT_EQ(m.x, -5);
    EXPECT_EQ(m.y, 4000);
    EXPECT_TRUE(m.visible);
    EXPECT_TRUE(viewer->presents.empty()) << "cursor changes are not frames";
    EXPECT_TRUE(guest->errors.empty());
}

TEST_F(Session, LateViewerGetsOutputsAndCursor) {
    auto guest = open_guest("desk");
    ASSERT_TRUE(guest);
    const auto px = cursor_pixels(32, 32, 1);
    ASSERT_TRUE(guest->device->announce_output(0, true, 1920, 1080, 60000, "HEADLESS-1"));
    ASSERT_TRUE(guest->device->announce_output(1, true, 1024, 768, 0, "HEADLESS-2"));
    ASSERT_TRUE(guest->device->announce_output(2, true, 640, 480, 0, "HEADLESS-3"));
    ASSERT_TRUE(guest->device->announce_output(2, false, 0, 0, 0, ""));
    ASSERT_TRUE(guest->device->set_cursor(1, 32, 32, 4, 5, px));
    ASSERT_TRUE(guest->device->move_cursor(1, 10, 20, true));
    ASSERT_TRUE(guest->device->move_cursor(1, 11, 21, false));
    ASSERT_TRUE(pump_until([&] { return guest->device->counters().responses_ok >= 7 + 1; }, 5000,
                           {guest.get()}, {}));
    ASSERT_TRUE(guest->errors.empty());

    auto all = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(all);
    auto one = ViewerActor::connect(daemon_->consumer_socket(), "desk", 1);
    ASSERT_TRUE(one);
    auto other = ViewerActor::connect(daemon_->consumer_socket(), "someone-else");
    ASSERT_TRUE(other);
    // The replay ends with the cursor position: wait for it on both viewers.
    ASSERT_TRUE(pump_until([&] { return all->cursor_moves.size() == 1 && one->cursor_moves.size() == 1; },
                           5000, {guest.get()}, {all.get(), one.get(), other.get()}));
    EXPECT_EQ(all->outputs[0].output, 0u);
    EXPECT_EQ(all->outputs[0].width, 1920u);
    EXPECT_EQ(all->outputs[0].name, "HEADLESS-1");
    EXPECT_EQ(all->outputs[1].output, 1u);
    ASSERT_EQ(all->cursor_images.size(), 1u);
    EXPECT_TRUE(all->cursor_images[0].pixels == px);
    EXPECT_EQ(all->cursor_images[0].hotspot_x, 4u);
    ASSERT_EQ(all->cursor_moves.size(), 1u) << "only the last position is replayed";
    EXPECT_EQ(all->cursor_moves[0].x, 11);
    EXPECT_FALSE(all->cursor_moves[0].visible);

    ASSERT_EQ(one->outputs.size(), 1u) << "the output filter applies to the replay";
    EXPECT_EQ(one->outputs[0].output, 1u);
    EXPECT_EQ(one->outputs[0].name, "HEADLESS-2");
    EXPECT_EQ(one->cursor_images.size(), 1u);
    EXPECT_TRUE(other->outputs.empty());
    EXPECT_TRUE(other->cursor_images.empty());
}

TEST_F(Session, ViewerDisconnectSendsLeave) {
    auto guest = open_guest("held");
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    auto quiet = ViewerActor::connect(daemon_->consumer_socket()); // sends no input
    ASSERT_TRUE(quiet);
    const uint32_t g = guest->device->guest_id();
    ASSERT_TRUE(viewer->client->send_input(g, 3, VDMABUF_INPUT_ENTER, 256, 256));
    ASSERT_TRUE(viewer->client->send_input(g, 3, VDMABUF_INPUT_KEY, KEY_LEFTSHIFT, 1));
    ASSERT_TRUE(viewer->client->send_input(g, 3, VDMABUF_INPUT_BUTTON, BTN_RIGHT, 1));
    ASSERT_TRUE(pump_until([&] { return guest->inputs.size() == 3; }, 5000, {guest.get()},
                           {viewer.get()}));
    viewer.reset(); // the viewer goes away with shift and the right button down
    ASSERT_TRUE(pump_until([&] { return guest->inputs.size() == 4; }, 5000, {guest.get()},
                           {quiet.get()}));
    EXPECT_EQ(guest->inputs[3].kind, uint32_t(VDMABUF_INPUT_LEAVE));
    EXPECT_EQ(guest->inputs[3].output, 3u);
    quiet.reset();
    EXPECT_FALSE(pump_until([&] { return guest->inputs.size() > 4; }, 300, {guest.get()}, {}))
        << "a viewer that sent no input owes no LEAVE";
}

} // namespace
} // namespace vdmabuf::harness
