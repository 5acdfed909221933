// Printing vdmabuf-bench-transport's figures, as text or as one JSON object.
#pragma once

#include "comparison.hpp"
#include "round_trip.hpp"

#include <vector>

namespace vdmabuf::bench {

// The per-guest-count table: runs with busy-poll at its default budget.
struct GuestTable {
    uint32_t busy_poll_us = 0;
    std::vector<unsigned> guest_counts;
    std::vector<RoundTripResult> results;
};

void print_text(const Comparison& cmp, const GuestTable& table);
void print_json(const Comparison& cmp, const GuestTable& table);

} // namespace vdmabuf::bench
