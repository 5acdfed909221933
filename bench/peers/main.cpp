// vdmabuf-bench-peers [--json] [--quick] [--rounds N]: the same client
// (vdmabuf-pattern-client at 720p, 1080p and 4K, full and 64x64 damage, and
// weston-simple-shm) through its peers and through vdmabuf, interleaved
// round by round in one run (these machines are noisy): natively on a
// headless weston, through waypipe to the same kind of weston, and through
// vdmabuf-compositor -> vdmabufd -> vdmabuf-viewer headless, as a Wayland
// window on a headless weston, and as an X11 window on Xvfb. Per run: fps,
// CPU ms per frame of every process on the path and of the client apart, and
// the latency from commit to pixels where it can be read (paths.hpp,
// measure.hpp, latency.cpp). Issue 14's figures; not a test.
#include "report.hpp"

#include <vdmabuf/shared/log.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace vdmabuf::bench_peers;

namespace {

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: vdmabuf-bench-peers [--json] [--quick] [--rounds N]\n"
                 "  The same client natively on weston, through waypipe, and through vdmabuf\n"
                 "  (viewer headless, Wayland window, X11 window): fps, CPU ms per frame of each\n"
                 "  process, latency where readable; the issue's targets at 1080p full damage.\n"
                 "  Pattern client at 1280x720, 1920x1080, 3840x2160, full and 64x64 damage,\n"
                 "  and weston-simple-shm; 2 s warm-up, 8 s measured per run (~8 min).\n"
                 "  --quick: 1920x1080 full and 64x64 only, 1 s warm-up, 3 s measured.\n"
                 "  --rounds N: repeat every scenario N times (default 1); medians in the summary.\n"
                 "  --json: one JSON object on stdout (the table goes to stderr).\n");
}

void on_signal(int) {
    g_interrupted = 1;
}

} // namespace

int main(int argc, char** argv) {
    RunInfo info;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--json")) {
            json = true;
        } else if (!std::strcmp(argv[i], "--quick")) {
            info.quick = true;
        } else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
            info.rounds = std::max(1, std::atoi(argv[++i]));
        } else {
            const bool help = !std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h");
            usage(help ? stdout : stderr);
            return help ? 0 : 2;
        }
    }
    if (info.quick)
        info.timing = Timing{1, 3, 0.5};
    vdmabuf::log::set_program("bench-peers");
    setenv("VDMABUF_LOG", "warn", 0); // the daemon's, the compositor's and the viewer's
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    std::vector<Scenario> scenarios;
    for (uint32_t h : {720u, 1080u, 2160u})
        for (bool full : {true, false})
            if (!info.quick || h == 1080)
                scenarios.push_back(Scenario{false, h * 16 / 9, h, full});
    if (!info.quick)
        scenarios.push_back(Scenario{true, 0, 0, true});

    std::vector<Result> results;
    const size_t total = size_t(info.rounds) * scenarios.size() * std::size(kPaths);
    for (int round = 1; round <= info.rounds && !g_interrupted; ++round)
        for (const Scenario& s : scenarios)
            for (Path p : kPaths) {
                if (g_interrupted)
                    break;
                std::fprintf(stderr, "[%zu/%zu] %s via %s ...\n", results.size() + 1, total,
                             s.name().c_str(), path_name(p));
                results.push_back(measure(p, s, info.timing));
                const Result& r = results.back();
                if (!r.ok())
                    std::fprintf(stderr, "  %s: %s\n", r.skipped.empty() ? "failed" : "skipped",
                                 (r.skipped.empty() ? r.error : r.skipped).c_str());
            }
    // With --json the table goes to stderr, for whoever watches the run.
    print_table(results, info, json ? stderr : stdout);
    if (json)
        print_json(results, info);
    return g_interrupted ? 130 : 0;
}
