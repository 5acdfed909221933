// SIGKILL the compositor: vdmabufd retires its buffers, the viewer shows its
// waiting state, and descriptors and memory return to where they were before
// the compositor came: vdmabufd's fds, memfds and RSS, the viewer's fds and
// memfds (/dev/shm is printed, not asserted: other tests on the machine use
// it). Three cycles, so growth per cycle would show.
#include "fault_fixture.hpp"

#include "daemon_process.hpp"
#include "proc_sample.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

namespace vdmabuf::fault {
namespace {

constexpr int kCycles = 3;
// RSS may keep some heap the allocator does not give back; a leaked guest
// memory mapping or buffer set would be megabytes.
constexpr uint64_t kRssSlackKib = 2048;
// Under ASan the daemon's RSS also holds the allocator's quarantine of freed
// blocks (up to 256 MB), so it grows without a leak (about 1.7 MB a cycle);
// there LeakSanitizer checks the heap at exit, and the memfd mapping count
// below checks guest memory in every build.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCheckRss = false;
#else
constexpr bool kCheckRss = true;
#endif

TEST(CompositorKill, BuffersRetiredViewerWaitsResourcesReturn) {
    auto daemon = harness::DaemonProcess::start({"--log", "warn"});
    ASSERT_TRUE(daemon);
    char tmpl[] = "/tmp/vdmabuf-fault-xdg-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string runtime_dir = tmpl;
    ChildProcess viewer = start_viewer(daemon->consumer_socket());
    ASSERT_TRUE(viewer);
    auto control = Control::connect(daemon->consumer_socket());
    ASSERT_TRUE(control);

    // A first cycle warms the daemon's allocator; the baseline is taken after it.
    std::optional<harness::ProcSample> d0, v0;
    size_t shm0 = 0;
    for (int cycle = 0; cycle <= kCycles; ++cycle) {
        SCOPED_TRACE("cycle " + std::to_string(cycle));
        if (cycle == 1) {
            d0 = harness::sample_process(daemon->pid());
            v0 = harness::sample_process(viewer.pid());
            shm0 = harness::dev_shm_entries();
            ASSERT_TRUE(d0 && v0);
        }
        ChildProcess compositor = start_compositor(daemon->guest_socket(), runtime_dir);
        ASSERT_TRUE(compositor) << "vdmabuf-compositor did not start";
        ASSERT_TRUE(viewer.wait_for_line("vdmabuf-viewer: showing", 10000)) << "no frame shown";
        auto s0 = control->state();
        ASSERT_TRUE(s0);
        ASSERT_TRUE(poll_until([&] { auto s = control->state(); return s && s->presents >= s0->presents + 20; }, 10000))
            << "frames did not flow";
        auto during = control->state();
        ASSERT_TRUE(during);
        EXPECT_EQ(during->guests, 1u);
        EXPECT_GE(during->buffers, 1u);

        const std::vector<pid_t> clients = harness::descendants(compositor.pid());
        const uint64_t killed = now_ns();
        ASSERT_EQ(::kill(compositor.pid(), SIGKILL), 0);
        EXPECT_TRUE(viewer.wait_for_line("vdmabuf-viewer: waiting", 5000)) << "viewer did not show waiting";
        const double waiting_ms = ms_since(killed);
        std::optional<DaemonState> after;
        EXPECT_TRUE(poll_until([&] {
            after = control->state();
            return after && after->guests == 0 && after->buffers == 0 && after->held == 0;
        }, 5000)) << "vdmabufd kept the dead guest's buffers";
        const double retired_ms = ms_since(killed);
        (void)compositor.stop(SIGKILL, 2000);
        // Its client loses the Wayland connection and exits by itself.
        EXPECT_TRUE(poll_until([&] {
            for (pid_t c : clients)
                if (harness::sample_process(c))
                    return false;
            return true;
        }, 5000)) << "the compositor's client outlived it";

        if (cycle == 0)
            continue;
        // Descriptors and memfds back to the baseline (allow the poll a moment).
        std::optional<harness::ProcSample> d, v;
        bool back = poll_until([&] {
            d = harness::sample_process(daemon->pid());
            v = harness::sample_process(viewer.pid());
            return d && v && d->fds == d0->fds && d->memfds == d0->memfds &&
                   d->memfd_maps == d0->memfd_maps && v->fds == v0->fds &&
                   v->memfds == v0->memfds && v->memfd_maps == v0->memfd_maps &&
                   (!kCheckRss || d->rss_kib <= d0->rss_kib + kRssSlackKib);
        }, 5000, 20);
        ASSERT_TRUE(d && v);
        std::printf("cycle %d: viewer waiting %.0f ms, buffers retired %.0f ms after SIGKILL; "
                    "vdmabufd fds %zu (baseline %zu) memfds %zu (%zu) memfd maps %zu (%zu) RSS %llu KiB "
                    "(%llu); viewer fds %zu (%zu) memfds %zu (%zu) memfd maps %zu (%zu); "
                    "/dev/shm %zu (%zu)\n",
                    cycle, waiting_ms, retired_ms, d->fds, d0->fds, d->memfds, d0->memfds,
                    d->memfd_maps, d0->memfd_maps, (unsigned long long)d->rss_kib,
                    (unsigned long long)d0->rss_kib, v->fds, v0->fds, v->memfds, v0->memfds,
                    v->memfd_maps, v0->memfd_maps, harness::dev_shm_entries(), shm0);
        EXPECT_TRUE(back);
        EXPECT_EQ(d->fds, d0->fds);
        EXPECT_EQ(d->memfds, d0->memfds);
        EXPECT_EQ(d->memfd_maps, d0->memfd_maps);
        if (kCheckRss) {
            EXPECT_LE(d->rss_kib, d0->rss_kib + kRssSlackKib);
        }
        EXPECT_EQ(v->fds, v0->fds);
        EXPECT_EQ(v->memfds, v0->memfds);
        EXPECT_EQ(v->memfd_maps, v0->memfd_maps);
    }
    EXPECT_TRUE(daemon->alive());
    EXPECT_FALSE(viewer.exited()) << "the viewer died with the compositor";
    std::error_code ec;
    std::filesystem::remove_all(runtime_dir, ec);
}

} // namespace
} // namespace vdmabuf::fault
