// The viewer outlives vdmabufd: kill the daemon, start a new one on the same
// sockets with a new guest, and the viewer (reconnecting with backoff by
// default) shows the new guest's frames.
#include "viewer_fixture.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>

namespace vdmabuf::viewer_test {
namespace {

TEST(ViewerReconnect, ResumesAfterDaemonRestart) {
    ViewerRun run;
    ASSERT_TRUE(run.start("first"));
    auto a = harness::export_pattern(*run.guest, 200, 100, 3);
    std::string png = run.path("after.png"), stats = run.path("stats.json");
    // Two frames in all: one from each guest; the screenshot is the second.
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless", "--frames", "2", "--screenshot", png,
                                  "--stats-json", stats},
                                 /*reconnect=*/true));
    ASSERT_TRUE(run.guest->device->present(a.id, 0, 1, 0, {}));
    ASSERT_TRUE(run.wait_releases(1, 10000)) << "first frame not released";

    // Kill it hard: no goodbye to the viewer, a stale socket left behind.
    ASSERT_EQ(kill(run.daemon->pid(), SIGKILL), 0);
    ASSERT_TRUE(harness::pump_until([&] { return !run.daemon->alive(); }, 5000, {}, {}));
    run.guest.reset();
    // Down long enough for several failed attempts, so backoff is exercised.
    harness::pump_until([] { return false; }, 700, {}, {});
    ChildProcess daemon2 = ChildProcess::spawn(
        {harness::vdmabufd_path(), "--guest-socket", run.daemon->guest_socket(),
         "--consumer-socket", run.daemon->consumer_socket()});
    ASSERT_TRUE(daemon2 && daemon2.wait_for_line("vdmabufd: ready", 5000));
    frontend::DeviceOptions opts;
    opts.name = "second";
    opts.memory_size = 64 << 20;
    run.guest = harness::GuestActor::open(run.daemon->guest_socket(), opts);
    ASSERT_TRUE(run.guest);
    auto b = harness::export_pattern(*run.guest, 240, 120, 9);

    // Until the viewer is back, vdmabufd hands PRESENTs straight back; keep
    // presenting (after each release, like a real guest) until it exits.
    int status = -1;
    bool exited = false;
    for (uint64_t seq = 1; seq < 100 && !exited; ++seq) {
        size_t before = run.guest->releases.size();
        ASSERT_TRUE(run.guest->device->present(b.id, 0, seq, 0, {}));
        harness::pump_until(
            [&] { return run.guest->releases.size() > before || (exited = run.viewer.exited(&status)); },
            5000, {run.guest.get()}, {});
        if (!exited)
            harness::pump_until([&] { return (exited = run.viewer.exited(&status)); }, 100,
                                {run.guest.get()}, {});
    }
    ASSERT_TRUE(exited) << "the viewer never finished after the daemon restart";
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    auto img = read_png(png.c_str());
    ASSERT_TRUE(img);
    ASSERT_EQ(img->width, 240u);
    ASSERT_EQ(img->height, 120u);
    EXPECT_EQ(diff_pixels(*img, b.memory->data(), b.stride), 0u);
    std::string json = read_file(stats);
    EXPECT_GE(json_number(json, "reconnects").value_or(0), 1) << json;
}

// The viewer's stderr in a file of the run's scratch directory.
UniqueFd log_file(const ViewerRun& run, const std::string& name) {
    return UniqueFd{open(run.path(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
}

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

// While vdmabufd is down the viewer retries every 0.5 s; it used to log an
// ERROR for every attempt. Now: the first failure, then only a change of reason.
TEST(ViewerReconnect, QuietWhileDaemonIsDown) {
    ViewerRun run;
    ASSERT_TRUE(run.start());
    UniqueFd log = log_file(run, "viewer.log");
    ASSERT_TRUE(run.spawn_viewer({"--presenter", "headless"}, /*reconnect=*/true, log.get()));
    run.guest.reset();
    ASSERT_EQ(kill(run.daemon->pid(), SIGKILL), 0); // its socket file stays: ECONNREFUSED
    ASSERT_TRUE(harness::pump_until([&] { return !run.daemon->alive(); }, 5000, {}, {}));
    harness::pump_until([] { return false; }, 1500, {}, {});
    unlink(run.daemon->consumer_socket().c_str()); // now ENOENT: a new reason, said once
    harness::pump_until([] { return false; }, 1500, {}, {});
    run.viewer.stop();
    const std::string text = read_file(run.path("viewer.log"));
    EXPECT_LE(count(text, "ERROR"), 1u) << text;
    EXPECT_EQ(count(text, "is not reachable"), 1u) << text;
    EXPECT_EQ(count(text, "still not reachable"), 1u) << text;
}

// A --guest or --output that is not there: the viewer keeps waiting (guests and
// outputs come and go; it is started before its guest on purpose), but says
// once what it waits for and what vdmabufd has, instead of nothing.
TEST(ViewerReconnect, SaysWhatItWaitsFor) {
    ViewerRun run;
    ASSERT_TRUE(run.start("present-guest"));
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--guest", "nosuch"}, std::vector<std::string>{"--output", "5"}}) {
        UniqueFd log = log_file(run, "viewer.log");
        std::vector<std::string> argv{"--presenter", "headless"};
        argv.insert(argv.end(), args.begin(), args.end());
        ASSERT_TRUE(run.spawn_viewer(argv, /*reconnect=*/true, log.get()));
        harness::pump_until([] { return false; }, 1800, {run.guest.get()}, {});
        EXPECT_FALSE(run.viewer.exited()) << "it waits";
        run.viewer.stop();
        const std::string text = read_file(run.path("viewer.log"));
        SCOPED_TRACE(args[0] + " " + args[1] + ":\n" + text);
        EXPECT_EQ(count(text, "no frame yet"), 1u);
        EXPECT_NE(text.find(args[0] == "--guest" ? "guest \"nosuch\"" : "output 5"),
                  std::string::npos);
        EXPECT_NE(text.find("guest 1 \"present-guest\""), std::string::npos) << "what exists";
    }
}

} // namespace
} // namespace vdmabuf::viewer_test
