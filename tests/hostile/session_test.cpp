// Hostile interactive-session requests (device spec §6.5-§6.7): bad output
// indices, cursors over 128x128, pixel counts that disagree, hotspots outside,
// and the requests of features that were not negotiated.
#include "fixture.hpp"
#include "wire_requests.hpp"

namespace vdmabuf::hostile {
namespace {

constexpr uint64_t kSessionFeatures = (1ull << VDMABUF_F_CURSOR) | (1ull << VDMABUF_F_HOTPLUG);

std::vector<uint8_t> cursor(uint32_t output, uint32_t w, uint32_t h, uint32_t hx, uint32_t hy,
                            size_t pixel_bytes) {
    return testwire::cursor_set_cmd(output, w, h, hx, hy, pixel_bytes, 5, 0x7f);
}

using Session = Hostile;

TEST_F(Session, OutputAbuse) {
    RawGuest* g = attacker({.device_features = kSessionFeatures});
    ASSERT_TRUE(g);
    vdmabuf_cmd_output o = testwire::output_cmd(VDMABUF_MAX_OUTPUTS, 640, 480);
    expect_error(*g, o, VDMABUF_RESP_ERR_INVALID_OUTPUT, offsetof(vdmabuf_cmd_output, output));
    o.output = 0;
    o.width = 0;
    expect_error(*g, o, VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_output, width));
    o.width = 640;
    o.flags = 2;
    expect_error(*g, o, VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_output, flags));
    o.flags = 0; // gone, but with a size
    expect_error(*g, o, VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_output, width));
    expect_log("ERR_INVALID_OUTPUT");
    expect_counter({"daemon", "errors", "INVALID_OUTPUT"}, 1);
    expect_counter({"daemon", "errors", "INVALID_SIZE"}, 2);
}

TEST_F(Session, CursorAbuse) {
    RawGuest* g = attacker({.device_features = kSessionFeatures});
    ASSERT_TRUE(g);
    expect_error(*g, cursor(0, 129, 1, 0, 0, 0), VDMABUF_RESP_ERR_INVALID_SIZE,
                 offsetof(vdmabuf_cmd_cursor_set, width));
    expect_error(*g, cursor(0, 2, 2, 0, 0, 12), VDMABUF_RESP_ERR_MALFORMED,
                 sizeof(vdmabuf_cmd_cursor_set));
    expect_error(*g, cursor(0, 2, 2, 2, 0, 16), VDMABUF_RESP_ERR_INVALID_SIZE,
                 offsetof(vdmabuf_cmd_cursor_set, hotspot_x));
    expect_error(*g, cursor(99, 2, 2, 0, 0, 16), VDMABUF_RESP_ERR_INVALID_OUTPUT,
                 offsetof(vdmabuf_cmd_cursor_set, output));
    vdmabuf_cmd_cursor_move m{};
    m.hdr.type = VDMABUF_CMD_CURSOR_MOVE;
    m.visible = 2;
    expect_error(*g, m, VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_cursor_move, visible));
    // A guest that did not negotiate the feature: the request type is unknown.
    RawGuest* plain = attacker({.name = "plain"});
    ASSERT_TRUE(plain);
    expect_error(*plain, cursor(0, 2, 2, 0, 0, 16), VDMABUF_RESP_ERR_MALFORMED, 0);
    expect_log("ERR_INVALID_SIZE");
    expect_counter({"daemon", "errors", "INVALID_SIZE"}, 2);
    expect_counter({"daemon", "errors", "MALFORMED"}, 3);
}

// Features asked for in HELLO (§2, §6.1) decide the session, whatever the
// virtio bits say; bits the device does not know are ignored; other sizes are
// malformed.
TEST_F(Session, FeaturesInHello) {
    RawGuest* asked = attacker({.name = "asked", .hello_features = kSessionFeatures | (1ull << 40)});
    ASSERT_TRUE(asked);
    EXPECT_EQ(asked->session_features(), kSessionFeatures);
    const auto ok = asked->request(cursor(0, 2, 2, 0, 0, 16));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->resp.hdr.type, VDMABUF_RESP_OK);

    RawGuest* none = attacker(
        {.name = "none", .device_features = kSessionFeatures, .hello_features = uint64_t{0}});
    ASSERT_TRUE(none);
    EXPECT_EQ(none->session_features(), 0u);
    expect_error(*none, cursor(0, 2, 2, 0, 0, 16), VDMABUF_RESP_ERR_MALFORMED, 0);

    RawGuest* virtio = attacker({.name = "virtio", .device_features = kSessionFeatures});
    ASSERT_TRUE(virtio);
    EXPECT_EQ(virtio->session_features(), kSessionFeatures) << "the 56-byte HELLO's answer";

    RawGuest* odd = connection({.name = "odd"});
    ASSERT_TRUE(odd && odd->start());
    std::vector<uint8_t> hello60(60, 0);
    const vdmabuf_cmd_hello h = testwire::hello_cmd("odd", 9);
    std::memcpy(hello60.data(), &h, sizeof h);
    expect_error(*odd, hello60, VDMABUF_RESP_ERR_MALFORMED, 0);
    EXPECT_TRUE(odd->hello()) << "a refused HELLO starts no session";
    expect_log("features 0xc (from HELLO)");
}

} // namespace
} // namespace vdmabuf::hostile
