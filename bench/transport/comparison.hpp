// Busy-poll off against on, in three machine states (idle, busy, pinned; see
// conditions.hpp), each beside the socketpair floor measured in that state; and
// the CPU busy-polling costs, back to back and at a paced 60 fps.
#pragma once

#include "round_trip.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vdmabuf::bench {

struct ConditionResult {
    std::string name; // "idle", "busy", "pinned"
    Percentiles floor_ns{1 << 16};
    RoundTripResult off, on; // one guest
};

struct Comparison {
    uint32_t busy_poll_us = 0; // the budget of the "on" runs
    std::vector<ConditionResult> conditions;
    unsigned paced_frames = 0;
    RoundTripResult paced_off, paced_on; // idle machine, 60 fps
};

struct ComparisonOptions {
    unsigned rounds = 10000;      // round trips per run
    unsigned paced_frames = 300;  // frames per paced run
    uint32_t busy_poll_us = 50;
};

// False (logged) if a run failed.
[[nodiscard]] bool run_comparison(const ComparisonOptions& options, Comparison& out);

} // namespace vdmabuf::bench
