// Shutdown while the host holds frames: a consumer holds every PRESENT when the
// compositor gets SIGTERM. The compositor must not UNEXPORT a buffer before its
// RELEASE (device spec §6.4, ERR_IN_USE); it ends the session instead, which
// retires every buffer (§9). vdmabufd's log has no ERR_ line, and the consumer
// hears BUFFER_GONE for every buffer it was told of.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <sys/wait.h>

#include <cstdio>

#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"

namespace vdmabuf::compositor_test {
namespace {

TEST(Shutdown, HeldFramesAtExitCauseNoDeviceError) {
    CompositorOptions opts;
    opts.daemon_args = {"--release-timeout", "600000"};
    opts.daemon_log_to_file = true;
    opts.command = {pattern_client_path(), "--mode", "full", "--size", "240x180", "--fps", "60"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    Viewer& viewer = f->viewer();
    // Hold frames until the compositor has no buffer left to render into.
    ASSERT_TRUE(f->pump_until([&] { return viewer.held.size() >= 2; }, 30000))
        << "presentations held: " << viewer.held.size();
    f->pump_for(300);
    const size_t held = viewer.held.size();

    const int status = f->compositor().stop(SIGTERM, 10000);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM)
        << "wait status 0x" << std::hex << status;
    // The session's end retires every buffer the consumer was told of.
    EXPECT_TRUE(f->pump_until(
        [&] { return viewer.buffers_gone.size() >= viewer.buffers_seen.size(); }, 10000))
        << viewer.buffers_gone.size() << " of " << viewer.buffers_seen.size() << " buffers gone";

    // vdmabufd writes "disconnected" after it has sent BUFFER_GONE: poll for it.
    std::string log;
    const auto read_log = [&] {
        std::ifstream in(f->daemon().log_path());
        log.assign(std::istreambuf_iterator<char>(in), {});
        return log.find("disconnected") != std::string::npos;
    };
    EXPECT_TRUE(f->pump_until(read_log, 10000)) << log;
    EXPECT_EQ(log.find("ERR_"), std::string::npos)
        << "vdmabufd answered an error at shutdown (" << held << " frames held):\n" << log;
    EXPECT_TRUE(viewer.errors.empty());
}

// SIGTERM ends the session within a few seconds, with 128 + 15, whatever the
// startup command is (foot, waiting for the compositor in its own shutdown,
// kept it waiting for foot forever).
void expect_sigterm_ends_session(const std::vector<std::string>& command) {
    CompositorOptions opts;
    opts.command = command;
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    // Mapped and drawing: frames come.
    ASSERT_TRUE(f->pump_until([&] { return f->viewer().presents >= 2; }, 30000));
    f->pump_for(500);
    const uint64_t t0 = now_ns();
    const int status = f->compositor().stop(SIGTERM, 8000);
    const double ms = double(now_ns() - t0) / 1e6;
    std::printf("%s: SIGTERM to exit %.0f ms, wait status 0x%x\n", command[0].c_str(), ms, status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM)
        << "wait status 0x" << std::hex << status << " (0x9: killed after 8 s)";
}

TEST(Shutdown, SigtermWithPatternClient) {
    expect_sigterm_ends_session({pattern_client_path(), "--mode", "square", "--fps", "60"});
}

TEST(Shutdown, SigtermWithFoot) {
    expect_sigterm_ends_session(
        {require_program("foot", "foot"), "--config", "/dev/null", "--", "/bin/cat"});
}

TEST(Shutdown, SigtermWithGtk3Demo) {
    expect_sigterm_ends_session({require_program("gtk3-demo", "gtk-3-examples")});
}

TEST(Shutdown, SigtermWithWestonSimpleShm) {
    expect_sigterm_ends_session({require_program("weston-simple-shm", "weston")});
}

} // namespace
} // namespace vdmabuf::compositor_test
