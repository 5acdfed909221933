#define VDM_LOG_SCOPE "bench"
#include "round_trip.hpp"

#include "../alloc_counter.hpp"
#include "actors.hpp"
#include "conditions.hpp"
#include "daemon_process.hpp"

#include <vdmabuf/shared/busy_poll.hpp>
#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <poll.h>
#include <vector>

namespace vdmabuf::bench {
namespace {

struct BenchGuest {
    std::unique_ptr<harness::GuestActor> actor;
    harness::ExportedBuffer buffers[2];
    uint64_t sent_at = 0;
    uint64_t sequence = 0;
    bool in_flight = false;
};

uint64_t json_number(const std::string& json, const char* key) {
    std::string needle = std::string("\"") + key + "\":";
    size_t at = json.find(needle);
    return at == std::string::npos ? 0 : strtoull(json.c_str() + at + needle.size(), nullptr, 10);
}

uint64_t daemon_allocations(consumer::Client& control) {
    auto json = control.stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_STATS);
    return json ? json_number(*json, "heap_allocations") : 0;
}

uint64_t rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return strtoull(line.c_str() + 6, nullptr, 10);
    return 0;
}

void sleep_until(uint64_t deadline_ns) {
    timespec ts{time_t(deadline_ns / 1'000'000'000u), long(deadline_ns % 1'000'000'000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

} // namespace

RoundTripResult run_round_trip(const RoundTripOptions& opt) {
    RoundTripResult result;
    auto daemon = harness::DaemonProcess::start(
        {"--max-buffers-per-guest", "8", "--busy-poll-us", std::to_string(opt.busy_poll_us)});
    if (!daemon)
        return result;
    auto viewer = consumer::Client::connect(daemon->consumer_socket(), VDMABUF_ROLE_VIEWER);
    auto control = consumer::Client::connect(daemon->consumer_socket(), VDMABUF_ROLE_CONTROL);
    if (!viewer || !control)
        return result;
    consumer::Callbacks vcb;
    consumer::Client* v = viewer.get();
    vcb.on_present = [v](const consumer::PresentEvent& p) { v->release(p.id, p.sequence); };
    viewer->set_callbacks(std::move(vcb));

    std::vector<BenchGuest> guests(opt.guests);
    std::vector<pollfd> fds;
    fds.reserve(opt.guests + 1);
    fds.push_back({viewer->fd(), POLLIN, 0});
    unsigned outstanding = 0;
    bool measuring = false;
    for (unsigned i = 0; i < opt.guests; ++i) {
        frontend::DeviceOptions dopts;
        dopts.name = "bench" + std::to_string(i);
        dopts.memory_size = 16 << 20;
        BenchGuest& g = guests[i];
        g.actor = harness::GuestActor::open(daemon->guest_socket(), dopts);
        if (!g.actor)
            return result;
        for (auto& b : g.buffers) {
            b = harness::export_pattern(*g.actor, 256, 256, i);
            if (!b.memory)
                return result;
        }
        // Replace the recording callbacks with allocation-free ones.
        frontend::Callbacks cb;
        BenchGuest* gp = &g;
        cb.on_release = [gp, &result, &outstanding, &measuring](const vdmabuf_id&, uint64_t, uint32_t,
                                                               uint32_t) {
            if (measuring)
                result.rtt_ns.add(now_ns() - gp->sent_at);
            gp->in_flight = false;
            --outstanding;
        };
        g.actor->device->set_callbacks(std::move(cb));
        fds.push_back({g.actor->device->fd(), POLLIN, 0});
    }

    // Let exports, BUFFER_NEWs and the REFRESH settle before measuring.
    for (int i = 0; i < 20; ++i) {
        poll(fds.data(), fds.size(), 5);
        viewer->dispatch();
        for (auto& g : guests)
            g.actor->device->dispatch();
    }
    uint64_t d0 = daemon_allocations(*control);
    uint64_t d1 = daemon_allocations(*control);
    const uint64_t stats_cost = d1 - d0;

    // The waits below spin as the libraries' waits do (Client::wait,
    // Device::wait), over both fds at once: this one thread plays both sides.
    BusyPoll busy(opt.busy_poll_us);
    uint64_t b0 = 0, t0 = 0, cpu_daemon0 = 0, cpu_bench0 = 0;
    uint64_t next_round = now_ns();
    for (unsigned round = 0; round < opt.warmup + opt.rounds; ++round) {
        if (round == opt.warmup) {
            measuring = true;
            cpu_daemon0 = cpu_time_ns(daemon->pid());
            cpu_bench0 = cpu_time_ns(0);
            b0 = heap_allocations();
            result.setup_allocs_bench = b0;
            t0 = now_ns();
        }
        if (opt.interval_ns) {
            next_round += opt.interval_ns;
            sleep_until(next_round);
        }
        for (auto& g : guests) {
            g.sent_at = now_ns();
            g.in_flight = true;
            ++outstanding;
            if (!g.actor->device->present(g.buffers[round & 1].id, 0, ++g.sequence, g.sent_at, {})) {
                VDM_ERROR("present failed");
                return result;
            }
        }
        busy.note_activity(now_ns()); // as Device::wait() counts a request sent
        const uint64_t deadline = now_ns() + 5000000000ull;
        while (outstanding > 0) {
            if (now_ns() > deadline) {
                VDM_ERROR("round %u: %u releases missing after 5 s", round, outstanding);
                return result;
            }
            busy_poll(busy, fds.data(), fds.size(), 100);
            viewer->dispatch();
            for (auto& g : guests)
                g.actor->device->dispatch();
        }
    }
    result.seconds = double(now_ns() - t0) / 1e9;
    result.presents = uint64_t(opt.rounds) * opt.guests;
    result.allocs_per_frame_bench = double(heap_allocations() - b0) / double(result.presents);
    result.bench_cpu_ns = cpu_time_ns(0) - cpu_bench0;
    result.daemon_cpu_ns = cpu_time_ns(daemon->pid()) - cpu_daemon0;
    result.bench_spins = busy.counters().spins;
    result.bench_spins_found = busy.counters().found;
    result.bench_crowded = busy.counters().crowded;
    uint64_t d2 = daemon_allocations(*control);
    if (auto json = control->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_STATS)) {
        result.daemon_spins = json_number(*json, "spins");
        result.daemon_spins_found = json_number(*json, "found");
        result.daemon_crowded = json_number(*json, "crowded");
    }
    result.allocs_per_frame_daemon =
        double(d2 - d1 - stats_cost) / double(result.presents);
    result.daemon_rss_kib = rss_kib(daemon->pid());
    result.ok = true;
    return result;
}

} // namespace vdmabuf::bench
