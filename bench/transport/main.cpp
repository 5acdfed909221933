// vdmabuf-bench-transport: the device round trip (PRESENT -> consumer event
// -> RELEASE -> guest release event) through a real vdmabufd, beside the raw
// floor of a socketpair ping-pong of the same message sizes, in one run:
// busy-poll off and on with the machine idle, busy and pinned to one CPU; the
// CPU that busy-polling costs; and 1, 4 and 16 guests at the default budget.
#include "comparison.hpp"
#include "report.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "daemon_options.hpp"

using namespace vdmabuf;
using namespace vdmabuf::bench;

namespace {

// The "on" runs' budget: enough for every hop of a back-to-back round trip.
constexpr uint32_t kOnBudgetUs = 50;

void usage() {
    printf("usage: vdmabuf-bench-transport [--json] [--rounds N] [--quick] [--busy-poll-us N]\n"
           "  Round-trip percentiles through a real vdmabufd against the socketpair floor,\n"
           "  busy-poll off and on (N us, default %u), idle, busy and pinned to one CPU;\n"
           "  CPU per round trip and per frame at 60 fps; 1, 4 and 16 guests at vdmabufd's\n"
           "  default budget (%u us).\n",
           kOnBudgetUs, backend::kDefaultBusyPollUs);
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("bench");
    if (!getenv("VDMABUF_LOG"))
        log::set_level(log::Level::warn);
    bool json = false;
    unsigned rounds = 5000;
    ComparisonOptions cmp_opt;
    cmp_opt.busy_poll_us = kOnBudgetUs;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--quick")) {
            rounds = 500;
            cmp_opt.paced_frames = 60;
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = unsigned(strtoul(argv[++i], nullptr, 10));
        } else if (!strcmp(argv[i], "--busy-poll-us") && i + 1 < argc) {
            cmp_opt.busy_poll_us = unsigned(strtoul(argv[++i], nullptr, 10));
        } else {
            usage();
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (rounds == 0 || cmp_opt.busy_poll_us == 0 || cmp_opt.busy_poll_us > 10'000) {
        fprintf(stderr, "--rounds wants > 0, --busy-poll-us 1..10000\n");
        return 2;
    }
    cmp_opt.rounds = rounds * 2;

    Comparison cmp;
    if (!run_comparison(cmp_opt, cmp)) {
        fprintf(stderr, "busy-poll comparison failed\n");
        return 1;
    }

    GuestTable table;
    table.busy_poll_us = backend::kDefaultBusyPollUs;
    table.guest_counts = {1, 4, 16};
    for (unsigned n : table.guest_counts) {
        RoundTripOptions opt;
        opt.guests = n;
        opt.rounds = n == 1 ? rounds * 2 : rounds;
        opt.busy_poll_us = table.busy_poll_us;
        table.results.push_back(run_round_trip(opt));
        if (!table.results.back().ok) {
            fprintf(stderr, "round trip with %u guests failed\n", n);
            return 1;
        }
    }

    if (json)
        print_json(cmp, table);
    else
        print_text(cmp, table);
    return 0;
}
