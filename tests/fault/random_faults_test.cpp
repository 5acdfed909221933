// Each fault at random moments, 100 times each (VDMABUF_FAULT_REPEATS to
// change), with a cheaper harness than the full pipeline: one real vdmabufd,
// and as actors libvdmabuf-guest and libvdmabuf-host, in forked processes
// where the fault kills them. Five faults, interleaved:
//   viewer-kill   a consumer that holds every frame, SIGKILLed 0..60 ms in;
//   guest-kill    a guest exporting and presenting, SIGKILLed 0..80 ms in
//                 (often mid-handshake or mid-export);
//   daemon-kill   vdmabufd SIGKILLed 0..50 ms in and restarted; the observers
//                 reconnect;
//   hoarder       a consumer that reads but never releases, 150..400 ms long
//                 (past the 200 ms release timeout);
//   stalled       a consumer that never reads its socket, 150..400 ms long.
// Throughout, an observer guest presents every ~5 ms to an honest viewer. A
// hung guest: any of its presents not released within the release timeout
// plus 500 ms, or a daemon loss it did not notice within 1 s. A leaked
// buffer: after each fault, vdmabufd must list exactly the observer's guest,
// its buffers and the two observers' connections, with nothing held; its fd
// count is compared with the first iteration's every 25 iterations.
#include "fault_fixture.hpp"

#include "actors.hpp"
#include "daemon_process.hpp"
#include "proc_sample.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <poll.h>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

namespace vdmabuf::fault {
namespace {

constexpr int kTimeoutMs = 200;
constexpr int kBuffers = 4;

enum class Fault { viewer_kill, guest_kill, daemon_kill, hoarder, stalled, count };
const char* const kNames[] = {"viewer-kill", "guest-kill", "daemon-kill", "hoarder", "stalled"};

// ---- the fault actors, each in a forked child that never returns ----

[[noreturn]] void hoarder_main(const std::string& socket) {
    auto c = consumer::Client::connect(socket, VDMABUF_ROLE_VIEWER);
    for (;;) {
        if (c) {
            c->wait(100);
            if (c->dispatch() < 0)
                c.reset();
        } else {
            ::usleep(100'000);
        }
    }
}

[[noreturn]] void stalled_main(const std::string& socket) {
    auto c = consumer::Client::connect(socket, VDMABUF_ROLE_VIEWER);
    for (;;)
        ::pause();
}

[[noreturn]] void guest_main(const std::string& socket, int n) {
    frontend::DeviceOptions o;
    o.name = "chaos-" + std::to_string(n);
    o.memory_size = 4 << 20;
    auto g = harness::GuestActor::open(socket, o);
    std::vector<harness::ExportedBuffer> bufs;
    for (uint32_t i = 0; g && i < 3; ++i)
        bufs.push_back(harness::export_pattern(*g, 64, 64, i));
    uint64_t seq = 0;
    for (;;) {
        if (g && !g->lost)
            for (auto& b : bufs)
                if (b.memory)
                    (void)g->device->present(b.id, 0, ++seq, now_ns(), {});
        (void)harness::pump_until([] { return false; }, 5, {g.get()}, {});
    }
}

template <typename Fn>
pid_t fork_actor(Fn fn) {
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid == 0) {
        fn();
        ::_exit(0);
    }
    return pid;
}

// ---- the observers ----

struct Observer {
    harness::DaemonProcess& daemon;
    std::unique_ptr<harness::GuestActor> guest;
    std::unique_ptr<harness::ViewerActor> viewer;
    std::unique_ptr<Control> control;
    std::vector<harness::ExportedBuffer> bufs;
    std::map<size_t, uint64_t> out; // buffer index -> presented at
    size_t seen = 0;
    uint64_t sequence = 0;
    double worst_release_ms = 0;

    bool connect() {
        out.clear();
        bufs.clear();
        seen = 0;
        frontend::DeviceOptions o;
        o.name = "observer";
        o.memory_size = 8 << 20;
        guest.reset();
        guest = harness::GuestActor::open(daemon.guest_socket(), o);
        viewer = harness::ViewerActor::connect(daemon.consumer_socket());
        control = Control::connect(daemon.consumer_socket());
        if (!guest || !viewer || !control)
            return false;
        viewer->auto_release = true;
        for (uint32_t i = 0; i < kBuffers; ++i) {
            bufs.push_back(harness::export_pattern(*guest, 64, 64, 100 + i));
            if (!bufs.back().memory)
                return false;
        }
        return true;
    }
    void absorb() {
        for (; seen < guest->releases.size(); ++seen)
            for (size_t i = 0; i < bufs.size(); ++i)
                if (consumer::same_id(bufs[i].id, guest->releases[seen].id) && out.count(i)) {
                    worst_release_ms = std::max(worst_release_ms, ms_since(out[i]));
                    out.erase(i);
                }
    }
    // One step: present a free buffer, dispatch for up to wait_ms.
    void step(bool present, int wait_ms) {
        if (present && guest && !guest->lost)
            for (size_t i = 0; i < bufs.size(); ++i)
                if (!out.count(i)) {
                    if (guest->device->present(bufs[i].id, 0, ++sequence, now_ns(), {}))
                        out[i] = now_ns();
                    break;
                }
        (void)harness::pump_until([] { return false; }, wait_ms, {guest.get()}, {viewer.get()});
        if (guest)
            absorb();
    }
    // The oldest present still out, in ms (0 if none).
    double oldest_ms() const {
        double m = 0;
        for (const auto& [i, t] : out)
            m = std::max(m, ms_since(t));
        return m;
    }
};

TEST(RandomFaults, EachFaultRepeatedNoHungGuestNoLeakedBuffer) {
    int repeats = 100;
    if (const char* r = std::getenv("VDMABUF_FAULT_REPEATS"); r && std::atoi(r) > 0)
        repeats = std::atoi(r);
    const unsigned seed = unsigned(now_ns());
    std::printf("random faults: %d of each, seed %u\n", repeats, seed);
    std::mt19937 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    auto daemon = harness::DaemonProcess::start({"--release-timeout", std::to_string(kTimeoutMs), "--log", "error"});
    ASSERT_TRUE(daemon);
    Observer obs{*daemon};
    ASSERT_TRUE(obs.connect());

    int hung = 0, leaked = 0, done[size_t(Fault::count)] = {};
    double worst_kill_release_ms = 0, worst_restart_ms = 0;
    size_t fds0 = 0;
    const uint64_t t0 = now_ns();
    const int total = repeats * int(Fault::count);
    for (int it = 0; it < total && hung + leaked < 5; ++it) {
        const Fault f = Fault(it % int(Fault::count));
        SCOPED_TRACE(std::string("iteration ") + std::to_string(it) + " " + kNames[int(f)]);
        pid_t actor = -1;
        const std::string gs = daemon->guest_socket(), cs = daemon->consumer_socket();
        int life_ms = 0;
        switch (f) {
        case Fault::viewer_kill: actor = fork_actor([&] { hoarder_main(cs); }); life_ms = uniform(0, 60); break;
        case Fault::guest_kill: actor = fork_actor([&] { guest_main(gs, it); }); life_ms = uniform(0, 80); break;
        case Fault::daemon_kill: life_ms = uniform(0, 50); break;
        case Fault::hoarder: actor = fork_actor([&] { hoarder_main(cs); }); life_ms = uniform(150, 400); break;
        case Fault::stalled: actor = fork_actor([&] { stalled_main(cs); }); life_ms = uniform(150, 400); break;
        case Fault::count: break;
        }
        ASSERT_NE(actor, 0);
        // The observer keeps presenting while the actor lives.
        const uint64_t born = now_ns();
        while (ms_since(born) < life_ms)
            obs.step(true, 3);
        if (f == Fault::daemon_kill) {
            daemon->stop(SIGKILL);
            // The guest notices the loss at once (nothing hangs on a dead daemon).
            if (!harness::pump_until([&] { return obs.guest->lost; }, 1000, {obs.guest.get()}, {})) {
                ADD_FAILURE() << "the observer guest did not notice vdmabufd's death";
                ++hung;
            }
            ASSERT_TRUE(daemon->restart());
            const uint64_t ready = now_ns();
            ASSERT_TRUE(obs.connect());
            const size_t before = obs.viewer->presents.size();
            bool flowing = false;
            while (!flowing && ms_since(ready) < 5000) {
                obs.step(true, 3);
                flowing = obs.viewer->presents.size() > before;
            }
            const double resumed_ms = ms_since(ready);
            worst_restart_ms = std::max(worst_restart_ms, resumed_ms);
            EXPECT_TRUE(flowing);
            EXPECT_LT(resumed_ms, 1000.0) << "frames took too long after a restart";
            while (!obs.out.empty() && obs.oldest_ms() < kTimeoutMs + 500)
                obs.step(false, 2);
        } else {
            ::kill(actor, SIGKILL);
            const uint64_t killed = now_ns();
            // Every present owed to the observer comes back (viewer-kill: within 100 ms).
            while (!obs.out.empty() && obs.oldest_ms() < kTimeoutMs + 500)
                obs.step(false, 2);
            if (f == Fault::viewer_kill && obs.out.empty())
                worst_kill_release_ms = std::max(worst_kill_release_ms, ms_since(killed));
            int st = 0;
            ::waitpid(actor, &st, 0);
        }
        if (!obs.out.empty()) {
            ADD_FAILURE() << "hung guest: " << obs.out.size() << " presents out for " << obs.oldest_ms() << " ms";
            ++hung;
        }
        // Nothing of the fault's actor is left in vdmabufd.
        std::optional<DaemonState> s;
        bool clean = poll_until([&] {
            obs.step(false, 1);
            s = obs.control->state();
            return s && s->guests == 1 && s->buffers == size_t(kBuffers) && s->consumers == 2 &&
                   s->held == 0 && s->in_flight == 0;
        }, 3000, 1);
        if (!clean) {
            ADD_FAILURE() << "leak after " << kNames[int(f)] << ": guests " << (s ? s->guests : 0)
                          << " buffers " << (s ? s->buffers : 0) << " consumers " << (s ? s->consumers : 0)
                          << " held " << (s ? s->held : 0) << " in flight " << (s ? s->in_flight : 0);
            ++leaked;
        }
        // Descriptors of vdmabufd: the same as after the first settled iteration
        // (restarts excepted: a new process).
        if (f != Fault::daemon_kill && (it % 25 == 24 || it == total - 1)) {
            auto p = harness::sample_process(daemon->pid());
            ASSERT_TRUE(p);
            if (!fds0)
                fds0 = p->fds;
            else if (p->fds != fds0) {
                ADD_FAILURE() << "vdmabufd holds " << p->fds << " fds, " << fds0 << " before";
                ++leaked;
            }
        }
        if (f == Fault::daemon_kill)
            fds0 = 0; // a new process: take its baseline next time
        ++done[int(f)];
    }
    std::printf("random faults: %d iterations in %.1f s (", total, ms_since(t0) / 1000);
    for (int k = 0; k < int(Fault::count); ++k)
        std::printf("%s%s %d", k ? ", " : "", kNames[k], done[k]);
    std::printf("); hung guests %d, leaked %d; observer worst release %.0f ms, viewer-kill -> "
                "release max %.1f ms, restart -> frames max %.0f ms\n",
                hung, leaked, obs.worst_release_ms, worst_kill_release_ms, worst_restart_ms);
    EXPECT_EQ(hung, 0);
    EXPECT_EQ(leaked, 0);
}

} // namespace
} // namespace vdmabuf::fault
