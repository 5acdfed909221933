// Validation in the interactive session: each guest request (OUTPUT, cursor)
// and each consumer GUEST_EVENT that breaks a rule gets exactly one error, in
// order, and nothing reaches the other side. The session itself: session_test.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <linux/input-event-codes.h>
#include <span>

#include "session_fixture.hpp"
#include "wire_requests.hpp"

namespace vdmabuf::harness {
namespace {

// The answer to one raw request: 0 for RESP_OK, else the error code.
uint32_t answer(GuestActor& guest, std::span<const uint8_t> request) {
    const size_t errors = guest.errors.size();
    const uint64_t oks = guest.device->counters().responses_ok;
    uint64_t tag = 0;
    EXPECT_TRUE(guest.device->send_raw(request, &tag));
    EXPECT_TRUE(pump_until([&] { return guest.errors.size() > errors ||
                                        guest.device->counters().responses_ok > oks; },
                           5000, {&guest}, {}));
    if (guest.errors.size() == errors)
        return 0;
    EXPECT_EQ(guest.errors.back().tag, tag);
    return guest.errors.back().code;
}

template <typename T>
std::span<const uint8_t> raw(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

TEST_F(Session, GuestRequestsAreValidated) {
    auto guest = open_guest("checked");
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);

    auto output = [] {
        vdmabuf_cmd_output c = testwire::output_cmd(0, 800, 600, 5);
        std::memcpy(c.name, "OK-1", 4);
        return c;
    };
    vdmabuf_cmd_output o = output();
    EXPECT_EQ(answer(*guest, raw(o)), 0u);
    std::vector<uint8_t> longer(sizeof o + 4, 0);
    std::memcpy(longer.data(), &o, sizeof o);
    EXPECT_EQ(answer(*guest, longer), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    o.hdr.flags = 1;
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    o = output();
    o.padding = 1;
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    o = output();
    o.flags = 2 | VDMABUF_OUTPUT_CONNECTED;
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    o = output();
    o.name[1] = ' '; // not printable in the name rule (0x21..0x7e)
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    o = output();
    o.name[10] = 'x'; // after the NUL
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    o = output();
    o.output = VDMABUF_MAX_OUTPUTS;
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_INVALID_OUTPUT));
    o = output();
    o.width = 0;
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    o = output();
    o.height = VDMABUF_MAX_DIMENSION + 1;
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    o = output();
    o.flags = 0; // gone, but with a size
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    o.width = o.height = 0;
    o.refresh_mhz = 60000;
    EXPECT_EQ(answer(*guest, raw(o)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    o.refresh_mhz = 0;
    EXPECT_EQ(answer(*guest, raw(o)), 0u);

    // CURSOR_SET: fixed part plus exactly width * height * 4 pixel bytes.
    auto cursor = [](uint32_t w, uint32_t h, uint32_t hx, uint32_t hy, size_t pixels) {
        return testwire::cursor_set_cmd(0, w, h, hx, hy, pixels, 6, 0x5a);
    };
    EXPECT_EQ(answer(*guest, cursor(8, 8, 7, 7, 256)), 0u);
    EXPECT_EQ(answer(*guest, cursor(0, 0, 0, 0, 0)), 0u);
    EXPECT_EQ(answer(*guest, cursor(8, 8, 0, 0, 255)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    EXPECT_EQ(answer(*guest, cursor(8, 8, 0, 0, 260)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    EXPECT_EQ(answer(*guest, cursor(0, 0, 0, 0, 4)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    EXPECT_EQ(answer(*guest, cursor(129, 1, 0, 0, 129 * 4)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    EXPECT_EQ(answer(*guest, cursor(1, 129, 0, 0, 129 * 4)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    EXPECT_EQ(answer(*guest, cursor(4, 0, 0, 0, 0)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    EXPECT_EQ(answer(*guest, cursor(8, 8, 8, 0, 256)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    EXPECT_EQ(answer(*guest, cursor(8, 8, 0, 8, 256)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    EXPECT_EQ(answer(*guest, cursor(0, 0, 1, 0, 0)), uint32_t(VDMABUF_RESP_ERR_INVALID_SIZE));
    auto bad = cursor(8, 8, 0, 0, 256);
    bad[offsetof(vdmabuf_cmd_cursor_set, padding)] = 1;
    EXPECT_EQ(answer(*guest, bad), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    bad = cursor(8, 8, 0, 0, 256);
    bad[offsetof(vdmabuf_cmd_cursor_set, output)] = VDMABUF_MAX_OUTPUTS;
    EXPECT_EQ(answer(*guest, bad), uint32_t(VDMABUF_RESP_ERR_INVALID_OUTPUT));
    EXPECT_EQ(answer(*guest, {bad.data(), 20}), uint32_t(VDMABUF_RESP_ERR_MALFORMED));

    vdmabuf_cmd_cursor_move m{};
    m.hdr = {VDMABUF_CMD_CURSOR_MOVE, 0, 7};
    m.x = static_cast<uint32_t>(-3);
    m.visible = 1;
    EXPECT_EQ(answer(*guest, raw(m)), 0u);
    m.visible = 2;
    EXPECT_EQ(answer(*guest, raw(m)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    m.visible = 0;
    m.output = VDMABUF_MAX_OUTPUTS;
    EXPECT_EQ(answer(*guest, raw(m)), uint32_t(VDMABUF_RESP_ERR_INVALID_OUTPUT));
    m.output = 0;
    m.hdr.flags = 4;
    EXPECT_EQ(answer(*guest, raw(m)), uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    EXPECT_EQ(answer(*guest, {raw(m).data(), sizeof m - 1}), uint32_t(VDMABUF_RESP_ERR_MALFORMED));

    // Only the accepted ones reached the viewer: 2 OUTPUTs, 2 images, 1 move.
    ASSERT_TRUE(pump_until([&] { return viewer->outputs.size() == 2 &&
                                        viewer->cursor_images.size() == 2 &&
                                        viewer->cursor_moves.size() == 1; },
                           5000, {guest.get()}, {viewer.get()}));
    EXPECT_FALSE(pump_until([&] { return viewer->outputs.size() > 2 ||
                                         viewer->cursor_images.size() > 2 ||
                                         viewer->cursor_moves.size() > 1; },
                            200, {guest.get()}, {viewer.get()}));
    EXPECT_EQ(viewer->cursor_moves[0].x, -3);
    EXPECT_TRUE(guest->device->connected());
}

TEST_F(Session, GuestEventsAreValidated) {
    auto guest = open_guest("target");
    ASSERT_TRUE(guest);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    auto control = ViewerActor::connect(daemon_->consumer_socket(), {}, VDMABUF_CONSUMER_ANY,
                                        VDMABUF_ROLE_CONTROL);
    ASSERT_TRUE(control);
    auto elsewhere = ViewerActor::connect(daemon_->consumer_socket(), "not-this-guest");
    ASSERT_TRUE(elsewhere);
    const uint32_t g = guest->device->guest_id();

    // Each refused request gets exactly one ERROR, in order.
    struct Case {
        ViewerActor* who;
        std::function<bool()> send;
        uint32_t code;
    };
    consumer::Client& v = *viewer->client;
    const std::vector<Case> cases = {
        {viewer.get(), [&] { return v.send_input(g, 0, 0); }, VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g, 0, 9); }, VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g, VDMABUF_MAX_OUTPUTS, VDMABUF_INPUT_FRAME); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g, 0, VDMABUF_INPUT_KEY, KEY_A, 2); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g, 0, VDMABUF_INPUT_KEY, KEY_A, 1, 1); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g, 0, VDMABUF_INPUT_AXIS, 2, 0); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g, 0, VDMABUF_INPUT_AXIS, 0, 4); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g, 0, VDMABUF_INPUT_LEAVE, 1); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_keymap(g, "", "x"); }, VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_keymap(g, "u s", ""); }, VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.request_mode(g, 0, 0, 600); }, VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.request_mode(g, 0, 800, VDMABUF_MAX_DIMENSION + 1); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.request_hotplug(g, 1, true, 0, 600); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.request_hotplug(g, 1, false, 800, 0); },
         VDMABUF_C_ERR_MALFORMED},
        {viewer.get(), [&] { return v.send_input(g + 1000, 0, VDMABUF_INPUT_FRAME); },
         VDMABUF_C_ERR_UNKNOWN_GUEST},
        {elsewhere.get(),
         [&] { return elsewhere->client->send_input(g, 0, VDMABUF_INPUT_FRAME); },
         VDMABUF_C_ERR_UNKNOWN_GUEST},
        {control.get(), [&] { return control->client->send_input(g, 0, VDMABUF_INPUT_FRAME); },
         VDMABUF_C_ERR_ROLE},
        {control.get(), [&] { return control->client->send_keymap(g, "us", ""); },
         VDMABUF_C_ERR_ROLE},
        {control.get(), [&] { return control->client->request_mode(g, 3, 800, 600); },
         VDMABUF_C_ERR_UNKNOWN_OUTPUT}, // no OUTPUT from the guest for it
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        const size_t before = c.who->errors.size();
        ASSERT_TRUE(c.send()) << "case " << i;
        ASSERT_TRUE(pump_until([&] { return c.who->errors.size() > before; }, 5000,
                               {guest.get()}, {viewer.get(), control.get(), elsewhere.get()}))
            << "case " << i;
        EXPECT_EQ(c.who->errors.back().request, uint32_t(VDMABUF_C_GUEST_EVENT)) << "case " << i;
        EXPECT_EQ(c.who->errors.back().code, c.code) << "case " << i;
    }
    // The valid ones, from the roles allowed to send them, pass; nothing else did.
    const auto answered = guest->device->counters().responses_ok;
    ASSERT_TRUE(guest->device->announce_output(0, true, 1024, 768, 60000, "HEADLESS-1"));
    ASSERT_TRUE(pump_until([&] { return guest->device->counters().responses_ok > answered; }, 5000,
                           {guest.get()}, {viewer.get(), control.get()}));
    ASSERT_TRUE(control->client->request_mode(g, 0, 800, 600));
    ASSERT_TRUE(v.send_input(g, 0, VDMABUF_INPUT_AXIS, 1, 3, static_cast<uint32_t>(-512),
                             static_cast<uint32_t>(-2)));
    ASSERT_TRUE(pump_until([&] { return guest->modes.size() == 1 && guest->inputs.size() == 1; },
                           5000, {guest.get()}, {viewer.get(), control.get()}));
    EXPECT_EQ(static_cast<int32_t>(guest->inputs[0].c), -512);
    EXPECT_EQ(static_cast<int32_t>(guest->inputs[0].d), -2);
    EXPECT_EQ(guest->device->counters().events_invalid, 0u);
    const auto json = viewer->client->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_STATS);
    ASSERT_TRUE(json);
    EXPECT_NE(json->find("\"UNKNOWN_GUEST\":2"), std::string::npos) << *json;
    EXPECT_NE(json->find("\"ROLE\":2"), std::string::npos) << *json;
}

} // namespace
} // namespace vdmabuf::harness
