// Device loss: vdmabufd dies (SIGKILL) under a running compositor. The
// compositor and its client keep running; a new vdmabufd on the same socket
// paths gets a new session from the compositor (it reconnects with backoff),
// new buffers (BUFFER_NEW) and PRESENTs of the client's exact pixels; at the
// end the compositor still exits cleanly on SIGTERM.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

// The pids of `parent`'s live (not zombie) children whose command line
// contains `needle`.
std::vector<pid_t> live_children(pid_t parent, const std::string& needle) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream stat_file(entry.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
        const size_t paren = stat.rfind(')');
        if (paren == std::string::npos)
            continue;
        std::istringstream rest(stat.substr(paren + 1));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid != parent || state == 'Z')
            continue;
        std::ifstream cmd_file(entry.path() / "cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(cmd_file)), {});
        if (cmdline.find(needle) != std::string::npos)
            out.push_back(pid_t(std::stoi(name)));
    }
    return out;
}

// Waits for a PRESENT whose frame shows the pattern client exactly (no
// mismatching pixel), releasing every other one. Its stamp, if one came.
std::optional<pattern::Stamp> wait_for_pattern_frame(CompositorFixture& f, int timeout_ms,
                                                     int64_t& last_mismatches) {
    std::optional<pattern::Stamp> stamp;
    f.pump_until(
        [&] {
            Viewer& v = f.viewer();
            while (!v.held.empty() && !stamp) {
                const consumer::PresentEvent p = v.held.back();
                v.release_all_but_last();
                const FrameView view = v.frame(p);
                if (view.pixels) {
                    if (auto where = pattern::locate(view.pixels, view.width, view.height,
                                                     view.stride)) {
                        last_mismatches = pattern::mismatches(view.pixels, view.stride, *where);
                        if (last_mismatches == 0)
                            stamp = pattern::read_stamp(view.pixels, view.stride, *where);
                    }
                }
                v.release(p);
            }
            return stamp.has_value();
        },
        timeout_ms);
    return stamp;
}

TEST(DeviceLoss, CompositorReconnectsToARestartedDaemon) {
    CompositorOptions opts;
    opts.outputs = {"640x480"};
    opts.command = {pattern_client_path(), "--mode", "full", "--size", "200x150", "--fps", "30"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    const pid_t compositor = f->compositor().pid();

    // Session 1: the client's frames arrive.
    int64_t mismatches = -1;
    const auto before = wait_for_pattern_frame(*f, 30000, mismatches);
    ASSERT_TRUE(before) << "no exact pattern frame before the daemon died (last mismatches "
                        << mismatches << ")";
    const auto clients = live_children(compositor, pattern_client_path());
    ASSERT_EQ(clients.size(), 1u) << "the pattern client is not running under the compositor";

    // The device goes away the hard way.
    const int daemon_status = f->daemon().stop(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(daemon_status) && WTERMSIG(daemon_status) == SIGKILL)
        << "vdmabufd wait status " << daemon_status;
    ASSERT_FALSE(f->daemon().alive());

    // About a second without a device: the compositor and its client live on
    // (pump_until returns early, false, if the compositor exits).
    f->pump_for(1000);
    ASSERT_FALSE(f->compositor_exited())
        << "the compositor exited on device loss, wait status " << *f->compositor_exited();
    ASSERT_FALSE(f->compositor().exited()) << "the compositor exited on device loss";
    EXPECT_EQ(live_children(compositor, pattern_client_path()), clients)
        << "the pattern client did not survive the device loss";

    // Session 2: a new vdmabufd on the same paths and a new consumer.
    ASSERT_TRUE(f->daemon().restart()) << "the second vdmabufd did not become ready";
    ASSERT_TRUE(f->reconnect_viewer()) << "the consumer could not connect to the new vdmabufd";

    // The backoff is at most 5 s between attempts; 15 s is plenty.
    mismatches = -1;
    const auto after = wait_for_pattern_frame(*f, 15000, mismatches);
    ASSERT_FALSE(f->compositor_exited())
        << "the compositor exited after the restart, wait status " << *f->compositor_exited();
    EXPECT_GT(f->viewer().buffers_new, 0u) << "the compositor exported no buffer to the new vdmabufd";
    EXPECT_GT(f->viewer().presents, 0u) << "no PRESENT from the compositor after the restart";
    ASSERT_TRUE(after) << "no exact pattern frame after the restart (last mismatches "
                       << mismatches << ", presents " << f->viewer().presents << ")";
    EXPECT_GT(after->frame, before->frame) << "the client's frames did not move on";
    EXPECT_TRUE(f->viewer().errors.empty());
    EXPECT_EQ(live_children(compositor, pattern_client_path()), clients);

    // And it still shuts down cleanly: SIGTERM ends the session (128 + 15),
    // no crash and no SIGKILL after the 5 s grace.
    f->viewer().release_all();
    const int status = f->compositor().stop(SIGTERM, 5000);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM)
        << "compositor wait status " << status;
    for (const pid_t client : clients)
        EXPECT_NE(kill(client, 0), 0) << "the pattern client outlived the compositor";
}

} // namespace
} // namespace vdmabuf::compositor_test
