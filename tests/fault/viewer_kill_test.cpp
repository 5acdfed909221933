// SIGKILL the viewer while it holds buffers: the guest receives every release
// within 100 ms. The guest is libvdmabuf-guest in this process (so the test
// sees each release the moment it arrives); the viewer is the real
// vdmabuf-viewer process, killed 10 times while it owes the guest frames.
#include "fault_fixture.hpp"

#include "actors.hpp"
#include "daemon_process.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <sys/wait.h>

namespace vdmabuf::fault {
namespace {

using harness::GuestActor;

constexpr int kRounds = 10;
constexpr double kLimitMs = 100;

TEST(ViewerKill, GuestGetsEveryReleaseWithin100ms) {
    auto daemon = harness::DaemonProcess::start({"--release-timeout", "600000"});
    ASSERT_TRUE(daemon);
    auto control = Control::connect(daemon->consumer_socket());
    ASSERT_TRUE(control);
    frontend::DeviceOptions dopts;
    dopts.name = "fault-guest";
    dopts.memory_size = 16 << 20;
    auto guest = GuestActor::open(daemon->guest_socket(), dopts);
    ASSERT_TRUE(guest);
    // bufs[0..3] are presented at once each round; bufs[kFirst] is the first
    // frame, which the headless viewer keeps held (on screen) until a newer
    // one arrives.
    constexpr size_t kPresented = 4, kFirst = kPresented;
    std::vector<harness::ExportedBuffer> bufs;
    for (uint32_t i = 0; i <= kPresented; ++i) {
        bufs.push_back(harness::export_pattern(*guest, 320, 240, i));
        ASSERT_TRUE(bufs.back().memory);
    }

    std::vector<double> worst_per_round;
    int late = 0;
    uint64_t sequence = 0;
    for (int round = 0; round < kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        ChildProcess viewer = start_viewer(daemon->consumer_socket());
        ASSERT_TRUE(viewer) << "vdmabuf-viewer did not start";

        // The viewer releases a frame as soon as a newer one arrives, so a
        // hold is caught in one of two ways: even rounds stop the viewer
        // (SIGSTOP) and present, so the frames wait unread in its socket,
        // held; odd rounds present every buffer at once and kill while it
        // works on them.
        std::map<size_t, uint64_t> outstanding; // buffer index -> sequence
        size_t seen = guest->releases.size();
        auto absorb = [&] {
            for (; seen < guest->releases.size(); ++seen)
                for (auto it = outstanding.begin(); it != outstanding.end(); ++it)
                    if (consumer::same_id(bufs[it->first].id, guest->releases[seen].id) &&
                        it->second == guest->releases[seen].sequence) {
                        outstanding.erase(it);
                        break;
                    }
        };
        // Let it show a first frame, so it is fully up; it stays held.
        ASSERT_TRUE(guest->device->present(bufs[kFirst].id, 0, ++sequence, now_ns(), {}));
        outstanding[kFirst] = sequence;
        ASSERT_TRUE(viewer.wait_for_line("vdmabuf-viewer: showing", 10000));
        const bool stopped = round % 2 == 0;
        if (stopped) {
            ASSERT_EQ(::kill(viewer.pid(), SIGSTOP), 0);
        }
        for (size_t i = 0; i < kPresented; ++i) {
            ASSERT_TRUE(guest->device->present(bufs[i].id, 0, ++sequence, now_ns(), {}));
            outstanding[i] = sequence;
        }
        if (stopped) {
            // vdmabufd has sent them all: the viewer holds every one.
            ASSERT_TRUE(poll_until([&] {
                (void)harness::pump_until([] { return false; }, 0, {guest.get()}, {});
                auto s = control->state();
                return s && s->held >= bufs.size();
            }, 5000)) << "the frames never reached the viewer";
        }
        // A busy viewer may have copied and released some or all of them by
        // now; those releases are counted after the kill like the rest, so the
        // round checks that every presentation comes back, in flight or not.
        if (stopped) {
            (void)harness::pump_until([] { return false; }, 0, {guest.get()}, {});
            absorb();
        }
        const size_t owed = outstanding.size();
        ASSERT_EQ(owed, bufs.size());

        const uint64_t killed = now_ns();
        ASSERT_EQ(::kill(viewer.pid(), SIGKILL), 0);
        // Also when the viewer had finished dying (a zombie: its sockets are
        // closed by then), to tell vdmabufd's share from the kernel's on a
        // loaded machine.
        double last_ms = 0, dead_ms = -1;
        bool all = harness::pump_until(
            [&] {
                siginfo_t info{};
                if (dead_ms < 0 && ::waitid(P_PID, id_t(viewer.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                    info.si_pid == viewer.pid())
                    dead_ms = ms_since(killed);
                absorb();
                if (outstanding.empty())
                    last_ms = ms_since(killed);
                return outstanding.empty();
            },
            5000, {guest.get()}, {});
        ASSERT_TRUE(all) << outstanding.size() << " of " << owed << " releases never came";
        int st = viewer.stop(SIGKILL, 1000);
        EXPECT_TRUE(WIFSIGNALED(st));
        std::printf("round %d (%s): %zu presentation(s) owed, all released %.2f ms after SIGKILL "
                    "(viewer seen dead after %.2f ms)\n",
                    round, stopped ? "stopped viewer" : "busy viewer", owed, last_ms, dead_ms);
        worst_per_round.push_back(last_ms);
        late += last_ms >= kLimitMs;
        // Once the viewer is gone, vdmabufd's release is immediate.
        if (dead_ms >= 0) {
            EXPECT_LT(last_ms - dead_ms, kLimitMs);
        }
    }
    ASSERT_FALSE(guest->lost);
    std::sort(worst_per_round.begin(), worst_per_round.end());
    std::printf("viewer SIGKILL -> last release at the guest: median %.2f ms, max %.2f ms over %d "
                "rounds (limit %.0f ms)\n",
                worst_per_round[worst_per_round.size() / 2], worst_per_round.back(), kRounds, kLimitMs);
    // A machine this loaded can take a while to tear a dying process down
    // (it frees the memory before it closes the sockets): one late round of
    // ten is tolerated when vdmabufd's own part stayed under the limit.
    EXPECT_LE(late, 1) << late << " of " << kRounds << " rounds took over " << kLimitMs << " ms";
}

} // namespace
} // namespace vdmabuf::fault
