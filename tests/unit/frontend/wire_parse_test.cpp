// Parsing of device-written responses and events: everything here is hostile input.
#include "wire_parse.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace vdmabuf::frontend {
namespace {

constexpr uint32_t kGuest = 3;
constexpr uint64_t kKey = 0xfeedfacecafebeefull;

template <typename T>
const uint8_t* bytes(const T& v) {
    return reinterpret_cast<const uint8_t*>(&v);
}

vdmabuf_evt_release release_event() {
    vdmabuf_evt_release e{};
    e.hdr.type = VDMABUF_EVT_RELEASE;
    e.id = {kGuest, 5, kKey};
    e.sequence = 42;
    e.output = 1;
    e.reason = VDMABUF_RELEASE_DONE;
    return e;
}

TEST(ParseEvent, Release) {
    const auto e = release_event();
    const ParsedEvent p = parse_event(bytes(e), sizeof e, kGuest, kKey);
    ASSERT_EQ(p.kind, EventKind::release);
    EXPECT_EQ(p.release.id.counter, 5u);
    EXPECT_EQ(p.release.sequence, 42u);
    EXPECT_EQ(p.release.output, 1u);
}

TEST(ParseEvent, ShortOrWrongLengthIsInvalid) {
    const auto e = release_event();
    EXPECT_EQ(parse_event(bytes(e), 0, kGuest, kKey).kind, EventKind::invalid);
    EXPECT_EQ(parse_event(bytes(e), 15, kGuest, kKey).kind, EventKind::invalid);
    EXPECT_EQ(parse_event(bytes(e), 47, kGuest, kKey).kind, EventKind::invalid);
    uint8_t longer[64] = {};
    std::memcpy(longer, &e, sizeof e);
    EXPECT_EQ(parse_event(longer, 64, kGuest, kKey).kind, EventKind::invalid);
}

TEST(ParseEvent, ReleaseOfAnotherSessionOrBadFieldsIsInvalid) {
    auto e = release_event();
    e.id.guest = kGuest + 1;
    EXPECT_EQ(parse_event(bytes(e), sizeof e, kGuest, kKey).kind, EventKind::invalid);
    e = release_event();
    e.id.key ^= 1;
    EXPECT_EQ(parse_event(bytes(e), sizeof e, kGuest, kKey).kind, EventKind::invalid);
    e = release_event();
    e.id.counter = 0;
    EXPECT_EQ(parse_event(bytes(e), sizeof e, kGuest, kKey).kind, EventKind::invalid);
    e = release_event();
    e.output = VDMABUF_MAX_OUTPUTS;
    EXPECT_EQ(parse_event(bytes(e), sizeof e, kGuest, kKey).kind, EventKind::invalid);
    e = release_event();
    e.hdr.flags = 1;
    EXPECT_EQ(parse_event(bytes(e), sizeof e, kGuest, kKey).kind, EventKind::invalid);
    e = release_event();
    e.hdr.tag = 9;
    EXPECT_EQ(parse_event(bytes(e), sizeof e, kGuest, kKey).kind, EventKind::invalid);
    e = release_event();
    e.reason = 77; // unknown reasons still free the buffer
    EXPECT_EQ(parse_event(bytes(e), sizeof e, kGuest, kKey).kind, EventKind::release);
}

TEST(ParseEvent, Refresh) {
    vdmabuf_evt_refresh r{};
    r.hdr.type = VDMABUF_EVT_REFRESH;
    r.output = VDMABUF_OUTPUT_ALL;
    EXPECT_EQ(parse_event(bytes(r), sizeof r, kGuest, kKey).kind, EventKind::refresh);
    r.output = 15;
    EXPECT_EQ(parse_event(bytes(r), sizeof r, kGuest, kKey).kind, EventKind::refresh);
    r.output = 16;
    EXPECT_EQ(parse_event(bytes(r), sizeof r, kGuest, kKey).kind, EventKind::invalid);
    r.output = 0;
    EXPECT_EQ(parse_event(bytes(r), sizeof r - 1, kGuest, kKey).kind, EventKind::invalid);
}

TEST(ParseEvent, UnknownTypesAreIgnoredNotFatal) {
    uint8_t buf[64] = {};
    vdmabuf_hdr h{0x2110, 0, 0}; // INPUT: a later feature
    std::memcpy(buf, &h, sizeof h);
    const ParsedEvent p = parse_event(buf, 40, kGuest, kKey);
    EXPECT_EQ(p.kind, EventKind::unknown);
    EXPECT_EQ(p.type, 0x2110u);
    h.type = VDMABUF_RESP_OK; // not an event at all
    std::memcpy(buf, &h, sizeof h);
    EXPECT_EQ(parse_event(buf, 24, kGuest, kKey).kind, EventKind::invalid);
}

vdmabuf_resp response(uint32_t type, uint64_t tag, uint32_t request) {
    vdmabuf_resp r{};
    r.hdr.type = type;
    r.hdr.tag = tag;
    r.request = request;
    return r;
}

TEST(ParseResponse, OkAndError) {
    auto ok = response(VDMABUF_RESP_OK, 9, 0);
    EXPECT_EQ(parse_response(bytes(ok), sizeof ok, VDMABUF_CMD_PRESENT, 9, true).status,
              ResponseStatus::ok);
    auto err = response(VDMABUF_RESP_ERR_IN_USE, 9, VDMABUF_CMD_PRESENT);
    err.detail = 16;
    const ParsedResponse p = parse_response(bytes(err), sizeof err, VDMABUF_CMD_PRESENT, 9, true);
    EXPECT_EQ(p.status, ResponseStatus::error);
    EXPECT_EQ(p.code, uint32_t{VDMABUF_RESP_ERR_IN_USE});
    EXPECT_EQ(p.detail, 16u);
}

TEST(ParseResponse, InvalidResponses) {
    auto ok = response(VDMABUF_RESP_OK, 9, 0);
    EXPECT_EQ(parse_response(bytes(ok), 0, VDMABUF_CMD_PRESENT, 9, true).status,
              ResponseStatus::invalid); // chain returned unprocessed
    EXPECT_EQ(parse_response(bytes(ok), 23, VDMABUF_CMD_PRESENT, 9, true).status,
              ResponseStatus::invalid);
    EXPECT_EQ(parse_response(bytes(ok), sizeof ok, VDMABUF_CMD_PRESENT, 10, true).status,
              ResponseStatus::invalid); // tag not echoed
    EXPECT_EQ(parse_response(bytes(ok), sizeof ok, VDMABUF_CMD_PRESENT, 10, false).status,
              ResponseStatus::ok); // raw requests don't check the echo
    EXPECT_EQ(parse_response(bytes(ok), sizeof ok, VDMABUF_CMD_HELLO, 9, true).status,
              ResponseStatus::invalid); // HELLO wants OK_HELLO
    auto hello = response(VDMABUF_RESP_OK_HELLO, 9, 0);
    EXPECT_EQ(parse_response(bytes(hello), sizeof hello, VDMABUF_CMD_PRESENT, 9, true).status,
              ResponseStatus::invalid);
    auto err = response(VDMABUF_RESP_ERR_IN_USE, 9, VDMABUF_CMD_UNEXPORT);
    EXPECT_EQ(parse_response(bytes(err), sizeof err, VDMABUF_CMD_PRESENT, 9, true).status,
              ResponseStatus::invalid); // names another request
    auto junk = response(0x3333, 9, 0);
    EXPECT_EQ(parse_response(bytes(junk), sizeof junk, VDMABUF_CMD_PRESENT, 9, true).status,
              ResponseStatus::invalid);
    auto flagged = response(VDMABUF_RESP_OK, 9, 0);
    flagged.hdr.flags = 1;
    EXPECT_EQ(parse_response(bytes(flagged), sizeof flagged, VDMABUF_CMD_PRESENT, 9, true).status,
              ResponseStatus::invalid);
}

TEST(ParseHello, ChecksMagicVersionAndLimits) {
    vdmabuf_resp_hello h{};
    h.hdr.type = VDMABUF_RESP_OK_HELLO;
    h.magic = VDMABUF_MAGIC;
    h.version = VDMABUF_VERSION;
    h.guest = 4;
    h.key = kKey;
    h.max_buffers = 64;
    h.max_extents = VDMABUF_MAX_EXTENTS;
    HelloInfo info;
    ASSERT_TRUE(parse_hello(bytes(h), sizeof h, info));
    EXPECT_EQ(info.guest, 4u);
    EXPECT_EQ(info.key, kKey);
    EXPECT_FALSE(parse_hello(bytes(h), sizeof h - 1, info));
    h.magic = 0;
    EXPECT_FALSE(parse_hello(bytes(h), sizeof h, info));
    h.magic = VDMABUF_MAGIC;
    h.version = 2;
    EXPECT_FALSE(parse_hello(bytes(h), sizeof h, info));
    h.version = VDMABUF_VERSION;
    h.max_buffers = 0;
    EXPECT_FALSE(parse_hello(bytes(h), sizeof h, info));
}

} // namespace
} // namespace vdmabuf::frontend
