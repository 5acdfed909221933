// The device round trip, measured through a real vdmabufd: a guest PRESENTs,
// the consumer gets the event and RELEASEs at once, the guest gets its
// RELEASE event. N guests run at once, one frame each in flight.
#pragma once

#include <cstdint>
#include <string>

#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::bench {

struct RoundTripResult {
    bool ok = false;
    Percentiles rtt_ns{1 << 16};
    uint64_t presents = 0;
    double seconds = 0;
    double allocs_per_frame_bench = 0;  // this process: guest + consumer libraries
    double allocs_per_frame_daemon = 0; // vdmabufd, from its STATS
    uint64_t daemon_rss_kib = 0;
    uint64_t setup_allocs_bench = 0; // before measuring: proves the counter counts
    uint64_t daemon_cpu_ns = 0; // vdmabufd's CPU time over the measured rounds
    uint64_t bench_cpu_ns = 0;  // this process's (guests and consumer)
    uint64_t bench_spins = 0, bench_spins_found = 0, bench_crowded = 0; // BusyPoll::Counters
    uint64_t daemon_spins = 0, daemon_spins_found = 0, daemon_crowded = 0; // whole run, from STATS
};

struct RoundTripOptions {
    unsigned guests = 1;
    unsigned rounds = 5000; // presents per guest
    unsigned warmup = 500;
    // vdmabufd's --busy-poll-us and the budget of this process's waits (0 = off).
    uint32_t busy_poll_us = 0;
    // 0: each round starts when the last ended; else rounds start this far apart
    // (16'666'667 for 60 fps), sleeping in between as a paced compositor does.
    uint64_t interval_ns = 0;
};

[[nodiscard]] RoundTripResult run_round_trip(const RoundTripOptions& options);

} // namespace vdmabuf::bench
