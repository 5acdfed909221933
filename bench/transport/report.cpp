#include "report.hpp"

#include <cstdio>

#include "vdmabuf_wire.h"

namespace vdmabuf::bench {
namespace {

double us(uint64_t ns) { return double(ns) / 1000.0; }

double ratio(const RoundTripResult& r, const Percentiles& floor) {
    return floor.median() ? double(r.rtt_ns.median()) / double(floor.median()) : 0;
}

// CPU µs per round trip (or per frame) of the daemon and of this process.
double daemon_us_per(const RoundTripResult& r) {
    return r.presents ? us(r.daemon_cpu_ns) / double(r.presents) : 0;
}
double bench_us_per(const RoundTripResult& r) {
    return r.presents ? us(r.bench_cpu_ns) / double(r.presents) : 0;
}

void json_run(const char* key, const RoundTripResult& r, const Percentiles* floor) {
    printf("\"%s\":{\"rtt_p50_us\":%.2f,\"rtt_p99_us\":%.2f,", key, us(r.rtt_ns.median()),
           us(r.rtt_ns.percentile(99)));
    if (floor)
        printf("\"ratio_p50\":%.3f,", ratio(r, *floor));
    printf("\"vdmabufd_cpu_us_per_rt\":%.3f,\"bench_cpu_us_per_rt\":%.3f,\"bench_spins\":%llu,"
           "\"bench_spins_found\":%llu,\"bench_crowded\":%llu,\"vdmabufd_spins\":%llu,"
           "\"vdmabufd_spins_found\":%llu,\"vdmabufd_crowded\":%llu}",
           daemon_us_per(r), bench_us_per(r), (unsigned long long)r.bench_spins,
           (unsigned long long)r.bench_spins_found, (unsigned long long)r.bench_crowded,
           (unsigned long long)r.daemon_spins, (unsigned long long)r.daemon_spins_found,
           (unsigned long long)r.daemon_crowded);
}

} // namespace

void print_text(const Comparison& cmp, const GuestTable& table) {
    printf("vdmabuf transport round trip: PRESENT -> consumer -> RELEASE -> guest event\n");
    printf("1 guest; floor = socketpair ping-pong (%zu B / %zu B) in the same machine state;\n"
           "busy-poll on = vdmabufd --busy-poll-us %u and the bench's waits spinning as much\n\n",
           sizeof(vdmabuf_cmd_present), sizeof(vdmabuf_evt_release), cmp.busy_poll_us);
    printf("%-7s %9s %9s | %9s %9s %7s | %9s %9s %7s\n", "", "floor", "floor", "off", "off",
           "off", "on", "on", "on");
    printf("%-7s %9s %9s | %9s %9s %7s | %9s %9s %7s\n", "state", "p50 us", "p99 us", "p50 us",
           "p99 us", "x floor", "p50 us", "p99 us", "x floor");
    for (const auto& c : cmp.conditions)
        printf("%-7s %9.1f %9.1f | %9.1f %9.1f %7.2f | %9.1f %9.1f %7.2f\n", c.name.c_str(),
               us(c.floor_ns.median()), us(c.floor_ns.percentile(99)), us(c.off.rtt_ns.median()),
               us(c.off.rtt_ns.percentile(99)), ratio(c.off, c.floor_ns),
               us(c.on.rtt_ns.median()), us(c.on.rtt_ns.percentile(99)), ratio(c.on, c.floor_ns));
    printf("(busy: a nice-19 spinner on every CPU; pinned: bench and vdmabufd on one CPU)\n");
    printf("waits with busy-poll on: spun / answered by the spin / not spun (no CPU to spare)\n");
    for (const auto& c : cmp.conditions)
        printf("  %-7s bench %llu / %llu / %llu   vdmabufd %llu / %llu / %llu\n", c.name.c_str(),
               (unsigned long long)c.on.bench_spins, (unsigned long long)c.on.bench_spins_found,
               (unsigned long long)c.on.bench_crowded, (unsigned long long)c.on.daemon_spins,
               (unsigned long long)c.on.daemon_spins_found, (unsigned long long)c.on.daemon_crowded);
    printf("\n");

    printf("CPU per round trip, back to back (idle):   vdmabufd %.1f -> %.1f us, bench %.1f -> "
           "%.1f us (off -> on)\n",
           daemon_us_per(cmp.conditions[0].off), daemon_us_per(cmp.conditions[0].on),
           bench_us_per(cmp.conditions[0].off), bench_us_per(cmp.conditions[0].on));
    printf("CPU per frame at 60 fps (%u frames, idle): vdmabufd %.1f -> %.1f us, bench %.1f -> "
           "%.1f us (off -> on)\n",
           cmp.paced_frames, daemon_us_per(cmp.paced_off), daemon_us_per(cmp.paced_on),
           bench_us_per(cmp.paced_off), bench_us_per(cmp.paced_on));
    printf("  round trip at 60 fps: p50 %.1f -> %.1f us, p99 %.1f -> %.1f us\n\n",
           us(cmp.paced_off.rtt_ns.median()), us(cmp.paced_on.rtt_ns.median()),
           us(cmp.paced_off.rtt_ns.percentile(99)), us(cmp.paced_on.rtt_ns.percentile(99)));

    printf("by guest count (idle, busy-poll %u us):\n", table.busy_poll_us);
    printf("%-7s %9s %9s %9s %12s %13s %13s %10s\n", "guests", "p50 us", "p99 us", "p99.9 us",
           "presents/s", "allocs/frame", "(daemon)", "RSS KiB");
    for (size_t i = 0; i < table.results.size(); ++i) {
        const auto& r = table.results[i];
        printf("%-7u %9.1f %9.1f %9.1f %12.0f %13.3f %13.3f %10llu\n", table.guest_counts[i],
               us(r.rtt_ns.median()), us(r.rtt_ns.percentile(99)), us(r.rtt_ns.percentile(99.9)),
               double(r.presents) / r.seconds, r.allocs_per_frame_bench + r.allocs_per_frame_daemon,
               r.allocs_per_frame_daemon, (unsigned long long)r.daemon_rss_kib);
    }
    const RoundTripResult& one = table.results[0];
    printf("\n(allocation counter check: %llu allocations during setup, none counted per frame)\n",
           (unsigned long long)one.setup_allocs_bench);
    const auto& idle = cmp.conditions[0];
    printf("idle, 1 guest: p50 / floor p50 = %.2f off, %.2f on (target <= 2.0); p99 on %.1f us "
           "(target <= 100)\n",
           ratio(idle.off, idle.floor_ns), ratio(idle.on, idle.floor_ns),
           us(idle.on.rtt_ns.percentile(99)));
}

void print_json(const Comparison& cmp, const GuestTable& table) {
    const RoundTripResult& one = table.results[0];
    const Percentiles& floor = cmp.conditions[0].floor_ns;
    printf("{\"rtt_p50_us\":%.2f,\"rtt_p99_us\":%.2f,\"rtt_p999_us\":%.2f,"
           "\"floor_p50_us\":%.2f,\"floor_p99_us\":%.2f,\"presents_per_s\":%.0f,"
           "\"allocs_per_frame\":%.4f,\"daemon_allocs_per_frame\":%.4f,"
           "\"client_allocs_per_frame\":%.4f,\"client_setup_allocs\":%llu,"
           "\"vdmabufd_rss_kib\":%llu,\"busy_poll_us\":%u,\"by_guests\":{",
           us(one.rtt_ns.median()), us(one.rtt_ns.percentile(99)),
           us(one.rtt_ns.percentile(99.9)), us(floor.median()), us(floor.percentile(99)),
           double(one.presents) / one.seconds,
           one.allocs_per_frame_bench + one.allocs_per_frame_daemon, one.allocs_per_frame_daemon,
           one.allocs_per_frame_bench, (unsigned long long)one.setup_allocs_bench,
           (unsigned long long)one.daemon_rss_kib, table.busy_poll_us);
    for (size_t i = 0; i < table.results.size(); ++i) {
        const auto& r = table.results[i];
        printf("%s\"%u\":{\"rtt_p50_us\":%.2f,\"rtt_p99_us\":%.2f,\"rtt_p999_us\":%.2f,"
               "\"presents_per_s\":%.0f,\"allocs_per_frame\":%.4f,\"vdmabufd_rss_kib\":%llu}",
               i ? "," : "", table.guest_counts[i], us(r.rtt_ns.median()),
               us(r.rtt_ns.percentile(99)), us(r.rtt_ns.percentile(99.9)),
               double(r.presents) / r.seconds, r.allocs_per_frame_bench + r.allocs_per_frame_daemon,
               (unsigned long long)r.daemon_rss_kib);
    }
    printf("},\"busy_poll\":{\"budget_us\":%u,\"conditions\":{", cmp.busy_poll_us);
    for (size_t i = 0; i < cmp.conditions.size(); ++i) {
        const auto& c = cmp.conditions[i];
        printf("%s\"%s\":{\"floor_p50_us\":%.2f,\"floor_p99_us\":%.2f,", i ? "," : "",
               c.name.c_str(), us(c.floor_ns.median()), us(c.floor_ns.percentile(99)));
        json_run("off", c.off, &c.floor_ns);
        printf(",");
        json_run("on", c.on, &c.floor_ns);
        printf("}");
    }
    printf("},\"paced_60fps\":{\"frames\":%u,", cmp.paced_frames);
    json_run("off", cmp.paced_off, nullptr);
    printf(",");
    json_run("on", cmp.paced_on, nullptr);
    printf("}}}\n");
}

} // namespace vdmabuf::bench
