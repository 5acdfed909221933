// vdmabuf-bench-e2e: end-to-end latency from the demo client's commit to the
// viewer having the pixels.
//
// Real processes: vdmabufd and vdmabuf-compositor running
// vdmabuf-pattern-client (output-sized surface, --fps 0: one commit per frame
// callback), started by the compositor tests' fixture. The viewer side runs in
// this process and does what the headless viewer does in memfd mode: for
// every PRESENT the consumer maps the buffer (once per buffer) and holds it,
// reading nothing, and the frame held before is released. That is what
// `vdmabuf-viewer --presenter headless` (and vdmabuf-run) does: with no
// window nothing is drawn, and the held buffer is copied (the viewer's
// CpuFrame) only on demand: here once, for the screenshot at the end.
// Latency = the frame held, its pixels readable in the mapping - the commit
// time the client stamped into the pixels (CLOCK_MONOTONIC), decoded from
// the held buffer itself; split into stages by the PRESENT's guest time (the
// compositor rendered and sent it) and host time (vdmabufd took it).
//
// Also per scenario: delivered fps, CPU ms per frame of vdmabufd, the
// compositor, the client and this process (the viewer) from /proc/<pid>/stat,
// bytes copied per frame; and the floors: memcpy of one frame, grim capturing
// the same compositor at its default PNG level (6) and at level 1, and the
// viewer's headless screenshot (write_png of its frame, default encoder).
// Then the screenshot against grim on a still 1080p desktop (screenshot.cpp).
//
//   vdmabuf-bench-e2e [--json] [--quick] [--frames N] [--only latency|screenshot]
#include "../bench_args.hpp"
#include "import/cpu_frame.hpp"
#include "screenshot.hpp"

#include "fixture.hpp"
#include "pattern.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace vdmabuf;
using namespace vdmabuf::compositor_test;
using namespace vdmabuf::viewer;

namespace {

struct Scenario {
    uint32_t width, height;
    bool full;
};

// Where the latency goes, per frame: client commit -> the compositor rendered
// and PRESENTed (guest time) -> vdmabufd took it (host time) -> the viewer
// received it -> its pixels are readable.
struct Stages {
    Percentiles render{1024}, device{1024}, deliver{1024}, copy{1024};
};

struct Result {
    Scenario s{};
    std::string error;
    uint64_t frames = 0;
    double seconds = 0;
    Percentiles latency_ns{1024};
    Stages stages;
    uint64_t bytes = 0;
    // CPU ms per frame; -1 where /proc could not say.
    double cpu_daemon_ms = 0, cpu_compositor_ms = 0, cpu_client_ms = -1, cpu_viewer_ms = 0;
    double memcpy_ms = 0, grim_ms = -1, grim_l1_ms = -1, screenshot_ms = -1;
    long grim_bytes = -1, grim_l1_bytes = -1, screenshot_bytes = -1; // PNG file sizes
};

// CPU time of a process, all its threads, in ms (the first field of each
// task's schedstat: ns on a CPU); -1 if unreadable. Finer than /proc/<pid>/stat's
// 10 ms ticks, which a 30-frame run of a 1 ms/frame process cannot resolve.
double cpu_ms(pid_t pid) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    uint64_t ns = 0;
    bool any = false;
    for (const auto& task : std::filesystem::directory_iterator(dir, ec)) {
        std::ifstream in(task.path() / "schedstat");
        uint64_t run_ns = 0;
        if (in >> run_ns) {
            ns += run_ns;
            any = true;
        }
    }
    return any ? double(ns) / 1e6 : -1;
}

// The compositor's startup command (the pattern client): its only child.
pid_t first_child(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                     "/children");
    long child = 0;
    return in >> child ? pid_t(child) : -1;
}

double ms(uint64_t ns) {
    return double(ns) / 1e6;
}

// One frame between buffers not in cache (rotating through >= 128 MiB), median.
double memcpy_frame_ms(uint32_t w, uint32_t h) {
    const size_t size = size_t(w) * h * 4;
    const size_t pairs = std::max<size_t>(2, (128u << 20) / size + 1);
    std::vector<std::vector<uint8_t>> src, dst;
    for (size_t i = 0; i < pairs; ++i) {
        src.emplace_back(size, uint8_t(0x5a + i));
        dst.emplace_back(size, uint8_t(1));
    }
    Percentiles p(64);
    for (size_t i = 0; i < std::max<size_t>(25, pairs); ++i) { // each pair at least once
        const size_t k = i % pairs;
        const uint64_t t0 = now_ns();
        std::memcpy(dst[k].data(), src[k].data(), size);
        p.add(now_ns() - t0);
    }
    for (size_t i = 0; i < pairs; ++i)
        if (dst[i][size / 2] != src[i][size / 2])
            std::abort(); // keeps the copies observable
    return ms(p.median());
}

// grim against the fixture's compositor, `n` times, PNG level `level` (""
// for grim's default); median ms, -1 if no grim. *bytes: the PNG's size.
double grim_ms(CompositorFixture& f, int n, const std::string& level, long* bytes,
               std::string& note) {
    const std::string out = "/tmp/vdmabuf-bench-e2e-grim-" + std::to_string(getpid()) + ".png";
    Percentiles p(16);
    for (int i = 0; i < n; ++i) {
        const uint64_t ns = bench_e2e::grim_once(f, level, out, note);
        if (!ns) {
            unlink(out.c_str());
            return -1;
        }
        p.add(ns);
    }
    *bytes = bench_e2e::file_size(out);
    unlink(out.c_str());
    return ms(p.median());
}

// The headless viewer's screenshot (OutputPane::screenshot: write_png of the
// frame it keeps in memory, default options), `n` times; median ms. *bytes:
// the PNG's size.
double screenshot_ms(CompositorFixture& f, const CpuFrame& frame, int n, long* bytes) {
    const std::string out = "/tmp/vdmabuf-bench-e2e-shot-" + std::to_string(getpid()) + ".png";
    Percentiles p(16);
    for (int i = 0; i < n; ++i) {
        f.pump_for(20); // release what came meanwhile: vdmabufd times out holds of 2 s
        const uint64_t ns = bench_e2e::shot_once(frame.image(), PngOptions{}, out);
        if (!ns)
            return -1;
        p.add(ns);
    }
    *bytes = bench_e2e::file_size(out);
    unlink(out.c_str());
    return ms(p.median());
}

Result run(const Scenario& s, uint64_t frames, uint64_t warmup, int captures) {
    Result r;
    r.s = s;
    r.memcpy_ms = memcpy_frame_ms(s.width, s.height);

    const std::string size = std::to_string(s.width) + "x" + std::to_string(s.height);
    CompositorOptions opts;
    opts.outputs = {size};
    opts.command = {pattern_client_path(), "--fps", "0", "--size", size, "--mode",
                    s.full ? "full" : "square"};
    auto f = CompositorFixture::start(opts, r.error);
    if (!f)
        return r;
    compositor_test::Viewer& consumer = f->viewer();
    const pid_t daemon_pid = f->daemon().pid(), compositor_pid = f->compositor().pid();
    const pid_t client_pid = first_child(compositor_pid);

    CpuFrame frame;
    std::optional<consumer::PresentEvent> last; // the frame held
    std::optional<pattern::Found> where;
    uint64_t seen = 0, t_start = 0;
    double cpu0[4] = {0, 0, 0, 0};
    bool failed = false;
    consumer.on_present = [&](const consumer::PresentEvent& p) {
        const uint64_t received = now_ns();
        if (failed || r.frames >= frames)
            return; // done: only release what still comes
        const consumer::BufferInfo* info = consumer.info(p.id);
        const uint8_t* map = consumer.pixels(p.id);
        if (!info || !map) {
            failed = true;
            return;
        }
        // The headless viewer's path: hold this frame (held by the fixture
        // once this returns), let the one before go; nothing is copied.
        consumer.release_all();
        const int64_t bytes = 0;
        const uint64_t have = now_ns();
        last = p;
        const uint8_t* plane = map + info->planes[0].offset;
        const uint32_t stride = info->planes[0].stride;
        if (!where)
            where = pattern::locate(plane, info->width, info->height, stride, true);
        if (!where)
            return; // the window is not up yet
        const auto stamp = pattern::read_stamp(plane, stride, *where);
        ++seen;
        if (seen == warmup) {
            t_start = now_ns();
            cpu0[0] = cpu_ms(daemon_pid);
            cpu0[1] = cpu_ms(compositor_pid);
            cpu0[2] = client_pid > 0 ? cpu_ms(client_pid) : -1;
            cpu0[3] = cpu_ms(getpid());
        }
        if (seen > warmup && stamp && have > stamp->time_ns) {
            r.latency_ns.add(have - stamp->time_ns);
            // Stages, where the clocks are in order (one host, CLOCK_MONOTONIC).
            if (p.guest_time_ns >= stamp->time_ns && p.host_time_ns >= p.guest_time_ns &&
                received >= p.host_time_ns) {
                r.stages.render.add(p.guest_time_ns - stamp->time_ns);
                r.stages.device.add(p.host_time_ns - p.guest_time_ns);
                r.stages.deliver.add(received - p.host_time_ns);
                r.stages.copy.add(have - received);
            }
            r.bytes += uint64_t(bytes);
            ++r.frames;
        }
    };
    consumer.release_on_arrival = false;
    const int timeout_ms = int(20000 + frames * (s.width >= 3840 ? 300 : 100));
    f->pump_until([&] { return failed || r.frames >= frames; }, timeout_ms);
    r.seconds = double(now_ns() - t_start) / 1e9;
    if (r.frames) {
        r.cpu_daemon_ms = (cpu_ms(daemon_pid) - cpu0[0]) / double(r.frames);
        r.cpu_compositor_ms = (cpu_ms(compositor_pid) - cpu0[1]) / double(r.frames);
        const double client_now = client_pid > 0 ? cpu_ms(client_pid) : -1;
        if (cpu0[2] >= 0 && client_now >= 0)
            r.cpu_client_ms = (client_now - cpu0[2]) / double(r.frames);
        r.cpu_viewer_ms = (cpu_ms(getpid()) - cpu0[3]) / double(r.frames);
        r.bytes /= r.frames;
    }
    if (failed)
        r.error = "could not map or copy a presented buffer";
    else if (!where)
        r.error = "the pattern client's window never appeared";
    else if (r.frames < frames)
        r.error = "only " + std::to_string(r.frames) + " frames in " +
                  std::to_string(timeout_ms / 1000) + " s";
    if (!r.error.empty()) {
        consumer.on_present = nullptr;
        consumer.release_all();
        return r;
    }
    // The copy on demand of a screenshot: the held frame, whole.
    const consumer::BufferInfo* last_info = consumer.info(last->id);
    if (!last_info || frame.update(*last_info, consumer.pixels(last->id), last_info->size, {}) < 0) {
        r.error = "could not copy the held frame";
        consumer.on_present = nullptr;
        consumer.release_all();
        return r;
    }
    consumer.release_on_arrival = true; // from now on nothing is shown
    consumer.release_all();
    // Same size and the same kind of picture: ours is the last frame the
    // viewer held (copied out above), grim's whatever is on screen when it runs.
    r.screenshot_ms = screenshot_ms(*f, frame, captures, &r.screenshot_bytes);
    std::string note;
    r.grim_ms = grim_ms(*f, captures, "", &r.grim_bytes, note);
    if (r.grim_ms >= 0)
        r.grim_l1_ms = grim_ms(*f, captures, "1", &r.grim_l1_bytes, note);
    if (r.grim_ms < 0 || r.grim_l1_ms < 0)
        std::fprintf(stderr, "vdmabuf-bench-e2e: %s: %s\n", size.c_str(), note.c_str());
    consumer.on_present = nullptr;
    return r;
}

void usage() {
    std::printf("usage: vdmabuf-bench-e2e [--json] [--quick] [--frames N] [--only latency|screenshot]\n"
                "  Client commit -> headless viewer has the pixels, at 1280x720, 1920x1080\n"
                "  and 3840x2160, full and 64x64 damage: p50/p99 and where it goes; fps,\n"
                "  CPU per frame, bytes copied; memcpy of one frame, grim and the viewer's\n"
                "  headless screenshot. Then the headless screenshot (each PNG option) against\n"
                "  grim on a still 1080p desktop. --quick: 30 frames and 3 captures per case,\n"
                "  5 screenshot rounds (else 15).\n");
}

const char* damage_name(const Scenario& s) {
    return s.full ? "full" : "64x64";
}

void print_json(const std::vector<Result>& results, uint64_t frames,
                const bench_e2e::DesktopShots* desktop) {
    std::printf("{\"frames\": %" PRIu64 ", \"viewer\": \"headless (newest frame held, copied on demand)\", "
                "\"scenarios\": [",
                frames);
    for (size_t i = 0; i < results.size(); ++i) {
        const Result& r = results[i];
        std::printf("%s{\"resolution\": \"%ux%u\", \"damage\": \"%s\", \"ok\": %s, "
                    "\"frames\": %" PRIu64 ", \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
                    "\"stages_p50_ms\": {\"render\": %.3f, \"device\": %.3f, "
                    "\"deliver\": %.3f, \"copy\": %.3f}, "
                    "\"fps\": %.1f, \"bytes_copied_per_frame\": %" PRIu64 ", "
                    "\"cpu_ms_per_frame\": {\"vdmabufd\": %.3f, \"compositor\": %.3f, "
                    "\"client\": %.3f, \"viewer\": %.3f}, \"memcpy_ms\": %.3f, "
                    "\"grim_ms\": %.3f, \"grim_level1_ms\": %.3f, \"screenshot_ms\": %.3f, "
                    "\"png_bytes\": {\"grim\": %ld, \"grim_level1\": %ld, "
                    "\"screenshot\": %ld}}",
                    i ? ", " : "", r.s.width, r.s.height, damage_name(r.s),
                    r.error.empty() ? "true" : "false", r.frames, ms(r.latency_ns.median()),
                    ms(r.latency_ns.percentile(99)), ms(r.stages.render.median()),
                    ms(r.stages.device.median()), ms(r.stages.deliver.median()),
                    ms(r.stages.copy.median()),
                    r.seconds > 0 ? double(r.frames) / r.seconds : 0.0, r.bytes,
                    r.cpu_daemon_ms, r.cpu_compositor_ms, r.cpu_client_ms, r.cpu_viewer_ms,
                    r.memcpy_ms, r.grim_ms, r.grim_l1_ms, r.screenshot_ms, r.grim_bytes,
                    r.grim_l1_bytes, r.screenshot_bytes);
    }
    std::printf("]");
    if (desktop) {
        std::printf(", \"screenshot_desktop\": ");
        bench_e2e::print_desktop_shots_json(*desktop);
    }
    std::printf("}\n");
}

void print_table(const std::vector<Result>& results, uint64_t frames) {
    std::printf("client commit -> headless viewer has the pixels, %" PRIu64 " frames each\n",
                frames);
    std::printf("%-10s %-6s | %7s %7s | %6s | %9s | %-25s | %6s | %7s %7s %6s | %5s %5s\n",
                "output", "damage", "p50 ms", "p99 ms", "fps", "bytes/frm",
                "cpu ms/frame d/c/cl/v", "memcpy", "grim", "grim-l1", "shot", "x6", "x1");
    for (const Result& r : results) {
        char out[32], cpu[64];
        std::snprintf(out, sizeof out, "%ux%u", r.s.width, r.s.height);
        std::snprintf(cpu, sizeof cpu, "%.2f/%.2f/%.2f/%.2f", r.cpu_daemon_ms,
                      r.cpu_compositor_ms, r.cpu_client_ms, r.cpu_viewer_ms);
        auto ratio = [&](double grim) {
            return r.screenshot_ms > 0 && grim > 0 ? grim / r.screenshot_ms : 0.0;
        };
        std::printf("%-10s %-6s | %7.3f %7.3f | %6.1f | %9" PRIu64
                    " | %-25s | %6.3f | %7.1f %7.1f %6.1f | %4.1fx %4.1fx%s\n",
                    out, damage_name(r.s), ms(r.latency_ns.median()),
                    ms(r.latency_ns.percentile(99)),
                    r.seconds > 0 ? double(r.frames) / r.seconds : 0.0, r.bytes, cpu, r.memcpy_ms,
                    r.grim_ms, r.grim_l1_ms, r.screenshot_ms, ratio(r.grim_ms),
                    ratio(r.grim_l1_ms), r.error.empty() ? "" : "  (FAILED)");
    }
    std::printf("\nwhere the latency goes (p50 ms): commit->rendered+PRESENT | ->vdmabufd "
                "| ->viewer | ->pixels readable;  PNG KiB grim / grim-l1 / shot\n");
    for (const Result& r : results)
        std::printf("%4ux%-5u %-6s | %7.3f | %7.3f | %7.3f | %7.3f;  %ld / %ld / %ld\n",
                    r.s.width, r.s.height, damage_name(r.s), ms(r.stages.render.median()),
                    ms(r.stages.device.median()), ms(r.stages.deliver.median()),
                    ms(r.stages.copy.median()), r.grim_bytes / 1024, r.grim_l1_bytes / 1024,
                    r.screenshot_bytes / 1024);
    std::printf(
        "\nlatency: the client's commit (stamped in the pixels) to the headless viewer holding\n"
        "the frame, its pixels readable in the mapping (read from there). cpu d/c/cl/v: vdmabufd / compositor /\n"
        "client / this process (the viewer), /proc utime+stime over the frames. bytes: copied\n"
        "by the viewer per frame. memcpy: one frame, cold. grim: one capture of the same\n"
        "compositor to a PNG file, at grim's default level 6 and at -l 1; shot: the viewer's\n"
        "headless screenshot to a PNG file (default encoder, from the held frame copied out); x6/x1: grim / shot. Medians.\n"
        "Targets: 1080p full p50 <= memcpy + 2 ms; 64x64 p50 <= 1 ms; grim/shot >= 10x.\n");
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("bench");
    if (!std::getenv("VDMABUF_LOG"))
        log::set_level(log::Level::warn);
    // --only latency|screenshot: one part (taken out before the common arguments).
    std::string only;
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else
            rest.push_back(argv[i]);
    }
    if (!only.empty() && only != "latency" && only != "screenshot") {
        usage();
        return 2;
    }
    const auto args = bench::parse_frame_bench_args(int(rest.size()), rest.data(), usage);
    if (args.exit_code >= 0)
        return args.exit_code;
    const uint64_t frames = args.frames;
    const int captures = frames <= 30 ? 3 : 7; // --quick: fewer grim runs (seconds each at 4K)
    if (compositor_path().empty()) {
        std::fprintf(stderr, "vdmabuf-bench-e2e: no compositor (set VDMABUF_COMPOSITOR)\n");
        return 1;
    }
    const Scenario scenarios[] = {{1280, 720, true},   {1280, 720, false}, {1920, 1080, true},
                                  {1920, 1080, false}, {3840, 2160, true}, {3840, 2160, false}};
    std::vector<Result> results;
    bool all_ok = true;
    for (const Scenario& s : scenarios) {
        if (only == "screenshot")
            break;
        results.push_back(run(s, frames, 10, captures));
        if (!results.back().error.empty()) {
            all_ok = false;
            std::fprintf(stderr, "vdmabuf-bench-e2e: %ux%u %s damage: %s\n", s.width, s.height,
                         damage_name(s), results.back().error.c_str());
        }
    }
    std::optional<bench_e2e::DesktopShots> desktop;
    if (only != "latency") {
        desktop = bench_e2e::run_desktop_shots(frames <= 30 ? 5 : 15);
        if (!desktop->error.empty()) {
            all_ok = false;
            std::fprintf(stderr, "vdmabuf-bench-e2e: desktop screenshot: %s\n",
                         desktop->error.c_str());
        }
    }
    if (args.json) {
        print_json(results, frames, desktop ? &*desktop : nullptr);
    } else {
        print_table(results, frames);
        if (desktop)
            bench_e2e::print_desktop_shots(*desktop);
    }
    return all_ok ? 0 : 1;
}
