// Restart vdmabufd under a running session: the compositor and the viewer
// reconnect by themselves and frames resume within 1 s of the new daemon being
// ready. Two crashes (SIGKILL) and one orderly stop (SIGTERM).
#include "fault_fixture.hpp"

#include "daemon_process.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

namespace vdmabuf::fault {
namespace {

constexpr double kLimitMs = 1000;

TEST(DaemonRestart, CompositorAndViewerReconnectFramesResumeWithin1s) {
    auto daemon = harness::DaemonProcess::start({"--log", "warn"});
    ASSERT_TRUE(daemon);
    char tmpl[] = "/tmp/vdmabuf-fault-xdg-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string runtime_dir = tmpl;
    ChildProcess compositor = start_compositor(daemon->guest_socket(), runtime_dir);
    ASSERT_TRUE(compositor);
    ChildProcess viewer = start_viewer(daemon->consumer_socket());
    ASSERT_TRUE(viewer);
    ASSERT_TRUE(viewer.wait_for_line("vdmabuf-viewer: showing", 10000));

    for (int signo : {SIGKILL, SIGTERM, SIGKILL}) {
        SCOPED_TRACE(std::string("stopped with ") + strsignal(signo));
        daemon->stop(signo);
        EXPECT_TRUE(viewer.wait_for_line("vdmabuf-viewer: waiting", 5000));
        ASSERT_TRUE(daemon->restart()) << "vdmabufd did not come back";
        const uint64_t ready = now_ns();
        // Frames resume: the viewer shows one, and the new daemon passes them on.
        ASSERT_TRUE(viewer.wait_for_line("vdmabuf-viewer: showing", 10000)) << "no frame after restart";
        const double shown_ms = ms_since(ready);
        auto control = Control::connect(daemon->consumer_socket());
        ASSERT_TRUE(control);
        std::optional<DaemonState> s;
        ASSERT_TRUE(poll_until([&] { s = control->state(); return s && s->presents >= 10; }, 5000));
        std::printf("%s: first frame on the viewer %.0f ms after the new vdmabufd was ready; "
                    "guests %zu, consumers %zu\n",
                    strsignal(signo), shown_ms, s->guests, s->consumers);
        EXPECT_LT(shown_ms, kLimitMs);
        EXPECT_EQ(s->guests, 1u);
        EXPECT_GE(s->consumers, 2u); // the viewer and us
        EXPECT_FALSE(compositor.exited()) << "the compositor died with vdmabufd";
        EXPECT_FALSE(viewer.exited()) << "the viewer died with vdmabufd";
    }
    std::error_code ec;
    std::filesystem::remove_all(runtime_dir, ec);
}

} // namespace
} // namespace vdmabuf::fault
