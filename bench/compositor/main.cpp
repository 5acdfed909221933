// vdmabuf-bench-compositor: what one frame costs the guest compositor
// (render + export + present), measured from outside the real processes:
// a real vdmabufd, a consumer that releases at once, vdmabuf-compositor and
// vdmabuf-pattern-client committing one frame per frame callback.
//
// Per frame it reports
//   - cpu: the compositor's CPU time between two consecutive PRESENTs (all its
//     threads, /proc/<pid>/task/*/schedstat, nanosecond resolution). With one
//     commit per output frame that is the whole per-frame work: the client
//     commit, the render into the guest buffer, the export and the PRESENT.
//   - latency: the client's commit (the time stamped in the frame's pixels) to
//     vdmabufd taking the PRESENT (host_time_ns). It includes the wait for the
//     output's next frame event, so it is not a cost; it is what a viewer sees.
// beside the memcpy of one frame of the same size, measured in the same run.
// Scenarios: 1920x1080 and 3840x2160; full damage (the client redraws the
// whole output-sized surface) and 64x64 damage (only a square changes); each
// with the compositor's two render paths side by side: `wlroots`
// (wlr_scene_output_commit as wlroots 0.15 does it) and `culled` (the default:
// occluded nodes not drawn, surfaces blitted; see scene_render.hpp).
#include "../bench_args.hpp"
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <vector>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

using namespace vdmabuf;
using namespace vdmabuf::compositor_test;

namespace {

struct Scenario {
    uint32_t width, height;
    bool full;
    bool wlroots; // --render wlroots, else the default culled path
};

struct Result {
    Scenario s{};
    bool ok = false;
    std::string error;
    uint64_t frames = 0, coalesced = 0;
    double seconds = 0;
    Percentiles cpu_ns{1024}, latency_ns{1024}, memcpy_ns{64}, memcpy_hot_ns{64};
};

// CPU time of every thread of `pid`, in ns; 0 if unreadable.
uint64_t cpu_time_ns(pid_t pid) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (!d)
        return 0;
    uint64_t total = 0;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        const std::string path = dir + "/" + e->d_name + "/schedstat";
        if (FILE* f = std::fopen(path.c_str(), "r")) {
            unsigned long long run = 0;
            if (std::fscanf(f, "%llu", &run) == 1)
                total += run;
            std::fclose(f);
        }
    }
    closedir(d);
    return total;
}

// Hot: the same two buffers again and again (a 1080p frame pair fits in a big
// L3). Cold: rotating through buffers that together far exceed the caches, as
// a copy of a frame just rendered elsewhere would be. Pages are touched first.
void measure_memcpy(Result& r) {
    const size_t size = size_t(r.s.width) * r.s.height * 4;
    const size_t pairs = std::max<size_t>(2, (128u << 20) / size + 1);
    std::vector<std::vector<uint8_t>> src, dst;
    for (size_t i = 0; i < pairs; ++i) {
        src.emplace_back(size, uint8_t(0x5a + i));
        dst.emplace_back(size, uint8_t(1));
    }
    for (int i = 0; i < 45; ++i) {
        const uint64_t t0 = now_ns();
        std::memcpy(dst[0].data(), src[0].data(), size);
        const uint64_t t1 = now_ns();
        const size_t k = 1 + size_t(i) % (pairs - 1); // never the hot pair
        std::memcpy(dst[k].data(), src[k].data(), size);
        const uint64_t t2 = now_ns();
        if (i >= 5) {
            r.memcpy_hot_ns.add(t1 - t0);
            r.memcpy_ns.add(t2 - t1);
        }
    }
    for (size_t i = 0; i < pairs; ++i)
        if (dst[i][size / 2] != src[i][size / 2])
            std::abort(); // keeps the copies observable
}

Result run(const Scenario& s, uint64_t frames, uint64_t warmup) {
    Result r;
    r.s = s;
    measure_memcpy(r);

    const std::string size = std::to_string(s.width) + "x" + std::to_string(s.height);
    CompositorOptions opts;
    opts.outputs = {size};
    opts.extra_args = {"--render", s.wlroots ? "wlroots" : "culled"};
    opts.command = {pattern_client_path(), "--fps", "0", "--mode"};
    if (s.full)
        opts.command.insert(opts.command.end(), {"full", "--size", size});
    else
        opts.command.insert(opts.command.end(), {"square", "--size", "256x256"});
    auto f = CompositorFixture::start(opts, r.error);
    if (!f)
        return r;
    Viewer& viewer = f->viewer();
    const pid_t pid = f->compositor().pid();

    std::optional<pattern::Found> where;
    uint64_t seen = 0, last_cpu = 0, t_start = 0;
    bool failed = false;
    viewer.on_present = [&](const consumer::PresentEvent& p) {
        const uint64_t cpu = cpu_time_ns(pid);
        const FrameView v = viewer.frame(p);
        if (!v.pixels) {
            failed = true;
            return;
        }
        // An output-sized window is clipped by the compositor's title bar and
        // border: accept it as long as its stamp is visible.
        if (!where)
            where = pattern::locate(v.pixels, v.width, v.height, v.stride, true);
        if (!where)
            return; // the window is not up yet
        const auto stamp = pattern::read_stamp(v.pixels, v.stride, *where);
        ++seen;
        if (seen == warmup)
            t_start = now_ns();
        if (seen > warmup && stamp) {
            r.cpu_ns.add(cpu - last_cpu);
            if (p.host_time_ns > stamp->time_ns)
                r.latency_ns.add(p.host_time_ns - stamp->time_ns);
            r.coalesced += (p.flags & VDMABUF_C_PRESENT_COALESCED) != 0;
            ++r.frames;
        }
        last_cpu = cpu;
    };
    viewer.release_on_arrival = true;
    const int timeout_ms = int(20000 + frames * (s.width >= 3840 ? 300 : 100));
    f->pump_until([&] { return failed || r.frames >= frames; }, timeout_ms);
    r.seconds = double(now_ns() - t_start) / 1e9;
    if (failed)
        r.error = "could not map a presented buffer";
    else if (!where)
        r.error = "the pattern client's window never appeared";
    else if (r.frames < frames)
        r.error = "only " + std::to_string(r.frames) + " frames in " +
                  std::to_string(timeout_ms / 1000) + " s";
    r.ok = r.error.empty();
    return r;
}

const char* render_name(const Scenario& s) {
    return s.wlroots ? "wlroots" : "culled";
}

double ms(uint64_t ns) {
    return double(ns) / 1e6;
}

void usage() {
    std::printf("usage: vdmabuf-bench-compositor [--json] [--frames N] [--quick]\n"
                "  Compositor CPU per frame and commit->PRESENT latency at 1920x1080 and\n"
                "  3840x2160, full and 64x64 damage, wlroots' and the culled render path,\n"
                "  beside the memcpy of one frame.\n");
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("bench");
    if (!std::getenv("VDMABUF_LOG"))
        log::set_level(log::Level::warn);
    const auto args = bench::parse_frame_bench_args(argc, argv, usage);
    if (args.exit_code >= 0)
        return args.exit_code;
    const bool json = args.json;
    const uint64_t frames = args.frames;
    if (compositor_path().empty()) {
        std::fprintf(stderr, "vdmabuf-bench-compositor: no compositor (set VDMABUF_COMPOSITOR)\n");
        return 1;
    }

    const Scenario scenarios[] = {{1920, 1080, true, true},   {1920, 1080, true, false},
                                  {1920, 1080, false, true},  {1920, 1080, false, false},
                                  {3840, 2160, true, true},   {3840, 2160, true, false},
                                  {3840, 2160, false, true},  {3840, 2160, false, false}};
    std::vector<Result> results;
    for (const Scenario& s : scenarios) {
        results.push_back(run(s, frames, 10));
        if (!results.back().ok)
            std::fprintf(stderr, "%ux%u %s damage, %s render: %s\n", s.width, s.height,
                         s.full ? "full" : "64x64", render_name(s), results.back().error.c_str());
    }

    bool all_ok = true;
    if (json) {
        std::printf("{\"scenarios\":[");
        for (size_t i = 0; i < results.size(); ++i) {
            const Result& r = results[i];
            all_ok &= r.ok;
            std::printf(
                "%s{\"width\":%u,\"height\":%u,\"damage\":\"%s\",\"render\":\"%s\",\"ok\":%s,\"frames\":%" PRIu64
                ",\"coalesced\":%" PRIu64 ",\"fps\":%.1f,"
                "\"cpu_per_frame_p50_ms\":%.3f,\"cpu_per_frame_p99_ms\":%.3f,"
                "\"commit_to_present_p50_ms\":%.3f,\"commit_to_present_p99_ms\":%.3f,"
                "\"memcpy_frame_p50_ms\":%.3f,\"memcpy_frame_p99_ms\":%.3f,"
                "\"memcpy_frame_hot_p50_ms\":%.3f,\"memcpy_frame_hot_p99_ms\":%.3f}",
                i ? "," : "", r.s.width, r.s.height, r.s.full ? "full" : "64x64",
                render_name(r.s), r.ok ? "true" : "false", r.frames, r.coalesced,
                r.seconds > 0 ? double(r.frames) / r.seconds : 0.0, ms(r.cpu_ns.median()),
                ms(r.cpu_ns.percentile(99)), ms(r.latency_ns.median()),
                ms(r.latency_ns.percentile(99)), ms(r.memcpy_ns.median()),
                ms(r.memcpy_ns.percentile(99)), ms(r.memcpy_hot_ns.median()),
                ms(r.memcpy_hot_ns.percentile(99)));
        }
        std::printf("]}\n");
    } else {
        std::printf(
            "vdmabuf-compositor, one commit per frame callback, consumer releases at once\n");
        std::printf("%-10s %-6s %-7s %6s %6s | %-17s | %-18s | %-17s | %-17s\n", "output",
                    "damage", "render", "frames", "fps", "cpu/frame ms", "commit->PRESENT ms",
                    "memcpy frame ms", "memcpy hot ms");
        std::printf("%-10s %-6s %-7s %6s %6s | %8s %8s | %8s %9s | %8s %8s | %8s %8s\n", "", "",
                    "", "", "", "p50", "p99", "p50", "p99", "p50", "p99", "p50", "p99");
        for (const Result& r : results) {
            all_ok &= r.ok;
            char out[32];
            std::snprintf(out, sizeof out, "%ux%u", r.s.width, r.s.height);
            std::printf("%-10s %-6s %-7s %6" PRIu64
                        " %6.1f | %8.3f %8.3f | %8.3f %9.3f | %8.3f %8.3f | %8.3f %8.3f%s\n",
                        out, r.s.full ? "full" : "64x64", render_name(r.s), r.frames,
                        r.seconds > 0 ? double(r.frames) / r.seconds : 0.0, ms(r.cpu_ns.median()),
                        ms(r.cpu_ns.percentile(99)), ms(r.latency_ns.median()),
                        ms(r.latency_ns.percentile(99)), ms(r.memcpy_ns.median()),
                        ms(r.memcpy_ns.percentile(99)), ms(r.memcpy_hot_ns.median()),
                        ms(r.memcpy_hot_ns.percentile(99)), r.ok ? "" : "  (FAILED)");
        }
        std::printf("cpu/frame: the compositor's CPU time between two PRESENTs (render + export +\n"
                    "present + the client's commit); render: wlroots = wlr_scene_output_commit,\n"
                    "culled = the default path (scene_render.hpp). commit->PRESENT: client commit to vdmabufd\n"
                    "accepting the PRESENT, including the wait for the next output frame.\n"
                    "memcpy frame: one frame between buffers not in cache; hot: the same pair\n"
                    "again (fits in a large L3).\n");
    }
    return all_ok ? 0 : 1;
}
