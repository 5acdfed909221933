// vdmabufctl as a user runs it: a separate process against a live daemon.
#include <gtest/gtest.h>

#include <algorithm>
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
    Output unreachable = run("--connect /nonexistent/vdmabuf.sock stats");
    EXPECT_EQ(unreachable.status, 1);
    // Said once (the library's own ERROR line used to come first), with the reason.
    EXPECT_EQ(std::count(unreachable.text.begin(), unreachable.text.end(), '\n'), 1)
        << unreachable.text;
    EXPECT_NE(unreachable.text.find("No such file or directory"), std::string::npos)
        << unreachable.text;
    EXPECT_EQ(run("frobnicate").status, 2);
    // Arguments are checked before connecting: a usage error, not "cannot reach".
    Output bad = run("--connect /nonexistent/vdmabuf.sock mode desk 0 640");
    EXPECT_EQ(bad.status, 2) << bad.text;
    EXPECT_NE(bad.text.find("mode '640'"), std::string::npos) << bad.text;
    EXPECT_EQ(run("--connect /nonexistent/vdmabuf.sock hotplug desk 16 remove").status, 2);
}


TEST(Vdmabufctl, ModeHotplugAndConnectedOutputs) {
    auto daemon = DaemonProcess::start();
    ASSERT_TRUE(daemon);
    frontend::DeviceOptions opts;
    opts.name = "ctl-desk";
    auto guest = GuestActor::open(daemon->guest_socket(), opts);
    ASSERT_TRUE(guest);
    const std::string sock = "--connect " + daemon->consumer_socket() + " ";

    // An output the guest has not connected: the daemon's UNKNOWN_OUTPUT, exit 1
    // (it used to be sent and forgotten, exit 0).
    Output missing = run(sock + "mode ctl-desk 7 800x600");
    EXPECT_EQ(missing.status, 1) << missing.text;
    EXPECT_NE(missing.text.find("UNKNOWN_OUTPUT"), std::string::npos) << missing.text;
    const auto answered = guest->device->counters().responses_ok;
    ASSERT_TRUE(guest->device->announce_output(1, true, 1024, 768, 60000, "HEADLESS-2"));
    ASSERT_TRUE(pump_until([&] { return guest->device->counters().responses_ok > answered; }, 5000,
                           {guest.get()}, {}));
    Output mode = run(sock + "mode ctl-desk 1 1280x720@59.94");
    EXPECT_EQ(mode.status, 0) << mode.text;
    Output add = run(sock + "hotplug " + std::to_string(guest->device->guest_id()) +
                     " 2 add 800x600");
    EXPECT_EQ(add.status, 0) << add.text;
    Output remove = run(sock + "hotplug ctl-desk 3 remove");
    EXPECT_EQ(remove.status, 0) << remove.text;
    ASSERT_TRUE(pump_until([&] { return guest->modes.size() == 1 && guest->hotplugs.size() == 2; },
                           5000, {guest.get()}, {}));
    EXPECT_EQ(guest->modes[0].output, 1u);
    EXPECT_EQ(guest->modes[0].width, 1280u);
    EXPECT_EQ(guest->modes[0].refresh_mhz, 59940u);
    EXPECT_EQ(guest->hotplugs[0].output, 2u);
    EXPECT_TRUE(guest->hotplugs[0].connected);
    EXPECT_EQ(guest->hotplugs[0].height, 600u);
    EXPECT_FALSE(guest->hotplugs[1].connected);

    EXPECT_NE(run(sock + "mode nobody 0 640x480").status, 0);
    EXPECT_EQ(run(sock + "mode ctl-desk 0 640").status, 2);
    EXPECT_EQ(run(sock + "hotplug ctl-desk 16 remove").status, 2);

    ASSERT_TRUE(guest->device->announce_output(2, true, 800, 600, 60000, "HEADLESS-3"));
    ASSERT_TRUE(pump_until([&] { return guest->device->counters().responses_ok >= 3; }, 5000,
                           {guest.get()}, {}));
    Output list = run(sock + "list");
    EXPECT_NE(list.text.find("output 2 \"HEADLESS-3\" 800x600@60.000 Hz"), std::string::npos)
        << list.text;
    Output json = run(sock + "list --json");
    EXPECT_TRUE(valid_json(json.text)) << json.text;
    EXPECT_NE(json.text.find("\"connected_outputs\":[{\"output\":1,\"name\":\"HEADLESS-2\""),
              std::string::npos)
        << json.text;
    EXPECT_NE(json.text.find("},{\"output\":2,\"name\":\"HEADLESS-3\""), std::string::npos)
        << json.text;

    frontend::DeviceOptions old = opts;
    old.name = "ctl-old";
    old.features = 0;
    auto legacy = GuestActor::open(daemon->guest_socket(), old);
    ASSERT_TRUE(legacy);
    Output refused = run(sock + "mode ctl-old 0 640x480");
    EXPECT_NE(refused.status, 0);
    EXPECT_NE(refused.text.find("does not support"), std::string::npos) << refused.text;
}

} // namespace
} // namespace vdmabuf::harness
