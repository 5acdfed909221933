// vdmabuf-bench-transport: the device round trip (PRESENT -> consumer event
// -> RELEASE -> guest release event) for 1, 4 and 16 guests, beside the raw
// floor of a socketpair ping-pong of the same message sizes, in one run.
#include "floor.hpp"
#include "round_trip.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "vdmabuf_wire.h"

using namespace vdmabuf;
using namespace vdmabuf::bench;

namespace {

double us(uint64_t ns) { return double(ns) / 1000.0; }

void usage() {
    printf("usage: vdmabuf-bench-transport [--json] [--rounds N] [--quick]\n"
           "  Prints round-trip percentiles through a real vdmabufd for 1, 4 and 16 guests\n"
           "  and the socketpair ping-pong floor measured in the same run.\n");
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("bench");
    if (!getenv("VDMABUF_LOG"))
        log::set_level(log::Level::warn);
    bool json = false;
    unsigned rounds = 5000;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--quick"))
            rounds = 500;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = unsigned(strtoul(argv[++i], nullptr, 10));
        else {
            usage();
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }

    Percentiles floor(rounds * 4);
    if (!run_socketpair_floor(rounds * 4, 500, sizeof(vdmabuf_cmd_present),
                              sizeof(vdmabuf_evt_release), floor)) {
        fprintf(stderr, "floor measurement failed\n");
        return 1;
    }

    const unsigned guest_counts[] = {1, 4, 16};
    std::vector<RoundTripResult> results;
    for (unsigned n : guest_counts) {
        RoundTripOptions opt;
        opt.guests = n;
        opt.rounds = n == 1 ? rounds * 2 : rounds;
        results.push_back(run_round_trip(opt));
        if (!results.back().ok) {
            fprintf(stderr, "round trip with %u guests failed\n", n);
            return 1;
        }
    }

    const RoundTripResult& one = results[0];
    if (json) {
        printf("{\"rtt_p50_us\":%.2f,\"rtt_p99_us\":%.2f,\"rtt_p999_us\":%.2f,"
               "\"floor_p50_us\":%.2f,\"floor_p99_us\":%.2f,\"presents_per_s\":%.0f,"
               "\"allocs_per_frame\":%.4f,\"daemon_allocs_per_frame\":%.4f,"
               "\"client_allocs_per_frame\":%.4f,\"client_setup_allocs\":%llu,"
               "\"vdmabufd_rss_kib\":%llu,\"by_guests\":{",
               us(one.rtt_ns.median()), us(one.rtt_ns.percentile(99)),
               us(one.rtt_ns.percentile(99.9)), us(floor.median()), us(floor.percentile(99)),
               double(one.presents) / one.seconds,
               one.allocs_per_frame_bench + one.allocs_per_frame_daemon,
               one.allocs_per_frame_daemon, one.allocs_per_frame_bench,
               (unsigned long long)one.setup_allocs_bench, (unsigned long long)one.daemon_rss_kib);
        for (size_t i = 0; i < results.size(); ++i) {
            const auto& r = results[i];
            printf("%s\"%u\":{\"rtt_p50_us\":%.2f,\"rtt_p99_us\":%.2f,\"rtt_p999_us\":%.2f,"
                   "\"presents_per_s\":%.0f,\"allocs_per_frame\":%.4f,\"vdmabufd_rss_kib\":%llu}",
                   i ? "," : "", guest_counts[i], us(r.rtt_ns.median()),
                   us(r.rtt_ns.percentile(99)), us(r.rtt_ns.percentile(99.9)),
                   double(r.presents) / r.seconds,
                   r.allocs_per_frame_bench + r.allocs_per_frame_daemon,
                   (unsigned long long)r.daemon_rss_kib);
        }
        printf("}}\n");
        return 0;
    }

    printf("vdmabuf transport round trip: PRESENT -> consumer -> RELEASE -> guest event\n");
    printf("floor (socketpair ping-pong, %zu B / %zu B): p50 %.1f us  p99 %.1f us  (%zu samples)\n\n",
           sizeof(vdmabuf_cmd_present), sizeof(vdmabuf_evt_release), us(floor.median()),
           us(floor.percentile(99)), floor.count());
    printf("%-7s %9s %9s %9s %12s %13s %13s %10s\n", "guests", "p50 us", "p99 us", "p99.9 us",
           "presents/s", "allocs/frame", "(daemon)", "RSS KiB");
    for (size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        printf("%-7u %9.1f %9.1f %9.1f %12.0f %13.3f %13.3f %10llu\n", guest_counts[i],
               us(r.rtt_ns.median()), us(r.rtt_ns.percentile(99)), us(r.rtt_ns.percentile(99.9)),
               double(r.presents) / r.seconds, r.allocs_per_frame_bench + r.allocs_per_frame_daemon,
               r.allocs_per_frame_daemon, (unsigned long long)r.daemon_rss_kib);
    }
    printf("\n(allocation counter check: %llu allocations during setup, none counted per frame)\n",
           (unsigned long long)one.setup_allocs_bench);
    printf("1 guest: p50 / floor p50 = %.2f (target <= 2.0); p99 %.1f us (target <= 100)\n",
           double(one.rtt_ns.median()) / double(floor.median()), us(one.rtt_ns.percentile(99)));
    return 0;
}
