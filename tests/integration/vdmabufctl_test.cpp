// vdmabufctl as a user runs it: a separate process against a live daemon.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <sys/wait.h>

#include "actors.hpp"
#include "daemon_process.hpp"

namespace vdmabuf::harness {
namespace {

struct Output {
    int status = -1;
    std::string text;
};

Output run(const std::string& args) {
    Output out;
    std::string cmd = vdmabufctl_path() + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p)
        return out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
        out.text.append(buf.data(), n);
    int st = pclose(p);
    out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

// python3 is a build dependency; use it as an independent JSON parser.
bool valid_json(const std::string& text) {
    FILE* p = popen("python3 -c 'import json,sys; json.load(sys.stdin)'", "w");
    if (!p)
        return false;
    fwrite(text.data(), 1, text.size(), p);
    return pclose(p) == 0;
}

TEST(Vdmabufctl, ListAndStatsShowLiveState) {
    auto daemon = DaemonProcess::start();
    ASSERT_TRUE(daemon);
    frontend::DeviceOptions opts;
    opts.name = "ctl-guest";
    auto guest = GuestActor::open(daemon->guest_socket(), opts);
    auto viewer = ViewerActor::connect(daemon->consumer_socket());
    ASSERT_TRUE(guest && viewer);
    ExportedBuffer buf = export_pattern(*guest, 64, 64, 1);
    ASSERT_TRUE(guest->device->present(buf.id, 0, 1, 0, {}));
    // A bad request, so an error counter moves.
    const uint8_t junk[16] = {0xee, 0x01};
    ASSERT_TRUE(guest->device->send_raw(junk));
    ASSERT_TRUE(pump_until([&] { return viewer->presents.size() == 1 && guest->errors.size() == 1; },
                           5000, {guest.get()}, {viewer.get()}));

    const std::string conn = "--connect " + daemon->consumer_socket();
    Output list = run(conn + " list");
    EXPECT_EQ(list.status, 0) << list.text;
    EXPECT_NE(list.text.find("ctl-guest"), std::string::npos) << list.text;
    EXPECT_NE(list.text.find("XRGB8888"), std::string::npos) << "format of the buffer\n" << list.text;

    Output list_json = run(conn + " list --json");
    EXPECT_EQ(list_json.status, 0);
    EXPECT_TRUE(valid_json(list_json.text)) << list_json.text;
    EXPECT_NE(list_json.text.find("ctl-guest"), std::string::npos);

    Output stats = run(conn + " stats --json");
    EXPECT_EQ(stats.status, 0);
    EXPECT_TRUE(valid_json(stats.text)) << stats.text;
    EXPECT_NE(stats.text.find("presents"), std::string::npos) << stats.text;
    EXPECT_NE(stats.text.find("MALFORMED"), std::string::npos) << "errors by kind\n" << stats.text;

    Output human = run(conn + " stats");
    EXPECT_EQ(human.status, 0);
    EXPECT_FALSE(human.text.empty());
}

TEST(Vdmabufctl, UnreachableDaemonAndBadUsage) {
    EXPECT_EQ(run("--connect /nonexistent/vdmabuf.sock stats").status, 1);
    EXPECT_EQ(run("frobnicate").status, 2);
}

} // namespace
} // namespace vdmabuf::harness
