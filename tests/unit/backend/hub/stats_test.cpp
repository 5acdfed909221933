// STATS/LIST rendering: JSON that parses (checked by python3's json module),
// escaping of untrusted names, and the numbers the hub counts.
#include "hub_test_env.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "hub/stats.hpp"

namespace vdmabuf::backend::test {
namespace {

// 0 valid, 1 invalid, 77 when python3 is missing.
int check_json(const std::string& text) {
    char path[] = "/tmp/vdmabuf-stats-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0)
        return 1;
    bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    std::string cmd = std::string("python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding=\"utf-8\"))' ") +
                      path + " 2>/dev/null";
    if (::system("command -v python3 >/dev/null 2>&1") != 0) {
        ::unlink(path);
        return 77;
    }
    int rc = ok ? std::system(cmd.c_str()) : 1;
    ::unlink(path);
    return rc == 0 ? 0 : 1;
}

std::string reply_text(const Packet& p) {
    auto r = as<vdmabuf_c_stats_reply>(p);
    EXPECT_EQ(p.size(), sizeof(r) + r.length);
    return std::string(reinterpret_cast<const char*>(p.data()) + sizeof(r), r.length);
}

TEST(StatsRender, JsonStringEscapes) {
    EXPECT_EQ(json_string("plain"), "\"plain\"");
    EXPECT_EQ(json_string("q\"b\\"), "\"q\\\"b\\\\\"");
    EXPECT_EQ(json_string(std::string("a\x01\n", 3)), "\"a\\u0001\\u000a\"");
    EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");           // valid UTF-8 kept
    EXPECT_EQ(json_string("bad\xff\xc3"), "\"bad\\ufffd\\ufffd\"");       // invalid replaced
    EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); // surrogate
}

TEST(StatsRender, IdHexIs32Digits) {
    EXPECT_EQ(id_hex({1, 0xabc, 0x0123456789abcdefull}), "0000000100000abc0123456789abcdef");
}

TEST(StatsRender, HostileNamesStillGiveValidJson) {
    StatsSnapshot s;
    StatsSnapshot::GuestRow g;
    g.id = 1;
    g.name = std::string("evil\"\\\n\x7f\xfe", 10);
    g.buffers.push_back({{1, 2, 3}, 4096, 0x34325258, 1, 1, 2});
    s.guests.push_back(g);
    StatsSnapshot::ConsumerRow c;
    c.id = 4;
    c.role = VDMABUF_ROLE_VIEWER;
    c.output = 2;
    c.guest_filter = "x\"y";
    s.consumers.push_back(c);
    for (uint32_t what : {VDMABUF_C_WHAT_STATS, VDMABUF_C_WHAT_LIST}) {
        int rc = check_json(render_stats(s, VDMABUF_C_STATS_JSON, what));
        if (rc == 77)
            GTEST_SKIP() << "python3 not available to check JSON";
        EXPECT_EQ(rc, 0) << render_stats(s, VDMABUF_C_STATS_JSON, what);
    }
    std::string text = render_stats(s, VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_LIST);
    EXPECT_NE(text.find("0000000100000002" "0000000000000003"), std::string::npos);
    EXPECT_NE(text.find("XRGB8888"), std::string::npos) << text;
}

class StatsReply : public HubTest {};

TEST_F(StatsReply, ListAndStatsOverTheSocket) {
    // The JSON checks run python3 (seconds on a loaded machine): the held
    // presentation must outlive them, so not the default 2 s release timeout.
    make_hub(60000);
    FakeGuest g(1, "guest0");
    g.counters_.errors[VDMABUF_RESP_ERR_OVERLAP - VDMABUF_RESP_ERR_UNSPEC] = 3;
    g.counters_.bad_chains = 2;
    hub_->guest_added(g);
    hub_->buffer_added(g, g.make_buffer(1));
    hub_->buffer_added(g, g.make_buffer(2));
    auto v = viewer(1);
    hub_->presented(g, g.presentation(1, 1, 1));
    hub_->presented(g, g.presentation(2, 1, 0)); // nobody watches output 0
    pump();
    auto p = of_type(v->drain(), VDMABUF_C_PRESENT);
    ASSERT_EQ(p.size(), 1u);

    Client ctl(*hub_);
    ctl.hello(VDMABUF_ROLE_CONTROL);
    pump();
    ctl.drain();
    std::string json[2], text[2];
    for (uint32_t what : {VDMABUF_C_WHAT_STATS, VDMABUF_C_WHAT_LIST}) {
        ctl.stats(VDMABUF_C_STATS_JSON, what, 100 + what);
        ctl.stats(VDMABUF_C_STATS_TEXT, what, 200 + what);
        pump();
        auto replies = ctl.drain();
        ASSERT_EQ(replies.size(), 2u);
        EXPECT_EQ(as<vdmabuf_c_stats_reply>(replies[0]).hdr.tag, 100u + what);
        EXPECT_EQ(as<vdmabuf_c_stats_reply>(replies[0]).format, VDMABUF_C_STATS_JSON);
        json[what] = reply_text(replies[0]);
        text[what] = reply_text(replies[1]);
        int rc = check_json(json[what]);
        if (rc != 77) {
            EXPECT_EQ(rc, 0) << json[what];
        }
    }
    const std::string& stats = json[VDMABUF_C_WHAT_STATS];
    EXPECT_NE(stats.find("\"presents\":2"), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"no_consumer\":1"), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"OVERLAP\":3"), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"bad_chains\":2"), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"import_mode\":\"memfd\""), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"accepted_to_sent\":{\"samples\":1"), std::string::npos) << stats;
    const std::string& list = json[VDMABUF_C_WHAT_LIST];
    EXPECT_NE(list.find("\"name\":\"guest0\""), std::string::npos) << list;
    EXPECT_NE(list.find("\"outputs\":[0,1]"), std::string::npos) << list;
    EXPECT_NE(list.find("\"id\":\"000000010000000100000000" "1234abcd\""), std::string::npos) << list;
    EXPECT_NE(list.find("\"holders\":1"), std::string::npos) << list;
    EXPECT_NE(list.find("\"output_filter\":1,\"held\":1"), std::string::npos) << list;
    EXPECT_NE(text[VDMABUF_C_WHAT_STATS].find("import mode: memfd"), std::string::npos);
    EXPECT_NE(text[VDMABUF_C_WHAT_LIST].find("64x64"), std::string::npos) << text[1];
}

} // namespace
} // namespace vdmabuf::backend::test
