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
};

struct RoundTripOptions {
    unsigned guests = 1;
    unsigned rounds = 5000; // presents per guest
    unsigned warmup = 500;
};

[[nodiscard]] RoundTripResult run_round_trip(const RoundTripOptions& options);

} // namespace vdmabuf::bench
