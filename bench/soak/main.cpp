// vdmabuf-bench-soak: the whole pipeline (vdmabufd, vdmabuf-compositor with
// the pattern client animating at 60 fps, a headless vdmabuf-viewer) for a
// given time at a small output, so it can run beside other CI steps. Every
// second it samples each process's open descriptors, memfds and RSS from
// /proc and the frames vdmabufd passed on; at the end it prints start/end/max
// and the slope per process and fails (exit 1) when, after the warm-up, a
// process grew more than the thresholds, a process died, or frames stopped.
#include "series.hpp"

#include "daemon_process.hpp"
#include "json_peek.hpp"
#include "proc_sample.hpp"

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/shared/child_process.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace vdmabuf;
using soak::Quantity;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Options {
    double seconds = 600;
    std::string output = "640x480";
    unsigned fps = 60;
    double warmup = -1;          // default: a tenth of the run, 5..60 s
    double max_fd_growth = 2;    // descriptors, per process
    double max_rss_growth = 4096; // KiB, per process
    double report_every = 60;    // seconds between progress lines
};

void usage(FILE* to) {
    std::fprintf(to,
                 "usage: vdmabuf-bench-soak [--seconds N | --minutes N] [--output WxH] [--fps N]\n"
                 "                          [--warmup S] [--max-fd-growth N] [--max-rss-growth-kib N]\n"
                 "                          [--report-every S]\n"
                 "Runs vdmabufd, vdmabuf-compositor + pattern client and a headless viewer for\n"
                 "the given time (default 10 minutes, 640x480 at 60 fps), sampling fds, memfds\n"
                 "and RSS of each process every second. Exit 1 if, after the warm-up (default a\n"
                 "tenth of the run, 5..60 s), a process's fds grew by more than N (default 2) or\n"
                 "its RSS by more than N KiB (default 4096), comparing the medians of the first\n"
                 "and last 30 samples; or if a process died or frames stopped flowing.\n");
}

bool parse(int argc, char** argv, Options& o, int& code) {
    code = 2;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            usage(stdout);
            code = 0;
            return false;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "vdmabuf-bench-soak: %s needs a value\n", a.c_str());
            return false;
        }
        const char* v = argv[++i];
        char* end = nullptr;
        double n = std::strtod(v, &end);
        bool number = end != v && *end == '\0' && n >= 0;
        if (a == "--output") {
            unsigned w = 0, h = 0;
            char tail = 0;
            if (std::sscanf(v, "%ux%u%c", &w, &h, &tail) != 2 || !w || !h) {
                std::fprintf(stderr, "vdmabuf-bench-soak: bad --output (want WxH)\n");
                return false;
            }
            o.output = v;
            continue;
        }
        if (!number) {
            std::fprintf(stderr, "vdmabuf-bench-soak: bad %s '%s'\n", a.c_str(), v);
            return false;
        }
        if (a == "--seconds")
            o.seconds = n;
        else if (a == "--minutes")
            o.seconds = n * 60;
        else if (a == "--fps" && n >= 1 && n <= 240)
            o.fps = unsigned(n);
        else if (a == "--warmup")
            o.warmup = n;
        else if (a == "--max-fd-growth")
            o.max_fd_growth = n;
        else if (a == "--max-rss-growth-kib")
            o.max_rss_growth = n;
        else if (a == "--report-every" && n > 0)
            o.report_every = n;
        else {
            std::fprintf(stderr, "vdmabuf-bench-soak: unknown or bad option %s\n", a.c_str());
            usage(stderr);
            return false;
        }
    }
    if (o.seconds < 1) {
        std::fprintf(stderr, "vdmabuf-bench-soak: the run must last at least 1 s\n");
        return false;
    }
    if (o.warmup < 0)
        o.warmup = std::clamp(o.seconds / 10, 5.0, 60.0);
    return true;
}

std::string program(const char* env, const char* built) {
    const char* p = std::getenv(env);
    return p && *p ? p : built;
}

// A process we watch: its pid and the series of its samples.
struct Watched {
    pid_t pid;
    soak::Series series;
    bool gone = false;
};

} // namespace

int main(int argc, char** argv) {
    Options opt;
    int code = 0;
    if (!parse(argc, argv, opt, code))
        return code;
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    ::setenv("VDMABUF_LOG", "warn", 0);

    auto daemon = harness::DaemonProcess::start({"--log", "warn"});
    if (!daemon) {
        std::fprintf(stderr, "vdmabuf-bench-soak: vdmabufd did not start\n");
        return 1;
    }
    char rt_tmpl[] = "/tmp/vdmabuf-soak-XXXXXX";
    if (!mkdtemp(rt_tmpl))
        return 1;
    const std::string runtime_dir = rt_tmpl;
    struct DirGuard {
        std::string dir;
        ~DirGuard() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } dir_guard{runtime_dir};

    const std::string fps = std::to_string(opt.fps);
    ::setenv("XDG_RUNTIME_DIR", runtime_dir.c_str(), 1); // the guest compositor's, private
    ChildProcess compositor = ChildProcess::spawn(
        {program("VDMABUF_COMPOSITOR", VDMABUF_SOAK_COMPOSITOR), "--device", daemon->guest_socket(),
         "--output", opt.output + "@" + fps, "--",
         program("VDMABUF_PATTERN_CLIENT", VDMABUF_SOAK_PATTERN_CLIENT), "--mode", "square",
         "--fps", fps});
    if (!compositor || !compositor.wait_for_line("vdmabuf-compositor: ready", 30000)) {
        std::fprintf(stderr, "vdmabuf-bench-soak: vdmabuf-compositor did not become ready\n");
        return 1;
    }
    ChildProcess viewer = ChildProcess::spawn({program("VDMABUF_VIEWER", VDMABUF_SOAK_VIEWER),
                                               "--connect", daemon->consumer_socket(),
                                               "--presenter", "headless"});
    if (!viewer || !viewer.wait_for_line("vdmabuf-viewer: ready", 30000)) {
        std::fprintf(stderr, "vdmabuf-bench-soak: vdmabuf-viewer did not become ready\n");
        return 1;
    }
    auto control = consumer::Client::connect(daemon->consumer_socket(), VDMABUF_ROLE_CONTROL);
    if (!control) {
        std::fprintf(stderr, "vdmabuf-bench-soak: cannot ask vdmabufd for its stats\n");
        return 1;
    }
    auto presents = [&]() -> double {
        auto json = control->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_STATS);
        return json ? run::json_number(*json, {"daemon", "presents"}).value_or(-1) : -1;
    };

    std::map<pid_t, Watched> watched;
    auto watch = [&](pid_t pid, const std::string& name) {
        if (!watched.count(pid))
            watched.emplace(pid, Watched{pid, soak::Series{name, {}}});
    };
    watch(daemon->pid(), "vdmabufd");
    watch(compositor.pid(), "compositor");
    watch(viewer.pid(), "viewer");

    std::printf("soak: %.0f s at %s@%u (vdmabufd, vdmabuf-compositor + pattern client, headless "
                "viewer), a sample a second, warm-up %.0f s\n",
                opt.seconds, opt.output.c_str(), opt.fps, opt.warmup);
    std::fflush(stdout);

    std::vector<std::string> failures;
    std::vector<double> fps_after_warmup;
    double last_presents = presents();
    size_t stalled_run = 0, longest_stall = 0;
    const uint64_t t0 = now_ns();
    double next_report = opt.report_every;
    for (uint64_t k = 1; !g_stop; ++k) {
        const uint64_t due = t0 + k * 1'000'000'000ull;
        while (!g_stop && now_ns() < due)
            usleep(useconds_t(std::min<uint64_t>(due - now_ns(), 100'000'000) / 1000)); // the run's clock
        if (g_stop)
            break;
        const double t = double(now_ns() - t0) / 1e9;
        for (pid_t child : harness::descendants(compositor.pid()))
            watch(child, "client:" + harness::process_name(child));
        for (auto& [pid, w] : watched) {
            if (w.gone)
                continue;
            auto s = harness::sample_process(pid);
            if (!s) {
                w.gone = true;
                failures.push_back(w.series.name + " (pid " + std::to_string(pid) + ") exited at " +
                                   std::to_string(int(t)) + " s");
                continue;
            }
            w.series.points.push_back({t, double(s->fds), double(s->memfds), double(s->rss_kib)});
        }
        const double p = presents();
        const double frames = p >= 0 && last_presents >= 0 ? p - last_presents : 0;
        last_presents = p;
        if (t >= opt.warmup) {
            fps_after_warmup.push_back(frames);
            stalled_run = frames > 0 ? 0 : stalled_run + 1;
            longest_stall = std::max(longest_stall, stalled_run);
        }
        if (t >= next_report || t >= opt.seconds) {
            std::printf("  t=%5.0f s  %4.0f fps", t, frames);
            for (auto& [pid, w] : watched)
                if (!w.series.points.empty() && !w.gone)
                    std::printf(" | %s fds %.0f rss %.0f KiB", w.series.name.c_str(),
                                w.series.points.back().fds, w.series.points.back().rss_kib);
            std::printf("\n");
            std::fflush(stdout);
            next_report += opt.report_every;
        }
        if (!failures.empty() || t >= opt.seconds)
            break;
    }
    const double ran = double(now_ns() - t0) / 1e9;

    // Every process still runs here; stop them the way a session ends.
    viewer.stop();
    compositor.stop();
    daemon->stop();

    const size_t window = 30;
    std::printf("soak figures after %.0f s (%zu samples a process; warm-up %.0f s excluded; "
                "start/end = medians of the first/last %zu samples or a third):\n",
                ran, watched.empty() ? size_t(0) : watched.begin()->second.series.points.size(),
                opt.warmup, window);
    std::printf("  %-22s %21s %15s %30s %14s\n", "process", "fds start/end/max", "memfds s/e/m",
                "RSS KiB start/end/max", "KiB/min");
    for (auto& [pid, w] : watched) {
        auto fd = soak::trend(w.series, Quantity::fds, opt.warmup, window);
        auto mf = soak::trend(w.series, Quantity::memfds, opt.warmup, window);
        auto rss = soak::trend(w.series, Quantity::rss_kib, opt.warmup, window);
        std::printf("  %-22s %7.0f/%5.0f/%5.0f %5.0f/%3.0f/%3.0f %10.0f/%8.0f/%8.0f %+14.1f\n",
                    (w.series.name + " " + std::to_string(pid)).c_str(), fd.start, fd.end, fd.max,
                    mf.start, mf.end, mf.max, rss.start, rss.end, rss.max, rss.slope_per_min);
        if (fd.samples == 0)
            continue;
        if (fd.growth > opt.max_fd_growth)
            failures.push_back(w.series.name + ": fds grew by " + std::to_string(int(fd.growth)) +
                               " (limit " + std::to_string(int(opt.max_fd_growth)) + ")");
        if (rss.growth > opt.max_rss_growth)
            failures.push_back(w.series.name + ": RSS grew by " + std::to_string(int(rss.growth)) +
                               " KiB (limit " + std::to_string(int(opt.max_rss_growth)) + " KiB)");
    }
    double mean_fps = 0, min_fps = 0;
    if (!fps_after_warmup.empty()) {
        for (double f : fps_after_warmup)
            mean_fps += f;
        mean_fps /= double(fps_after_warmup.size());
        min_fps = *std::min_element(fps_after_warmup.begin(), fps_after_warmup.end());
    }
    std::printf("  frames through vdmabufd after warm-up: mean %.1f fps, slowest second %.0f, "
                "longest stall %zu s (target %u fps)\n",
                mean_fps, min_fps, longest_stall, opt.fps);
    if (!fps_after_warmup.empty() && mean_fps < opt.fps / 2.0)
        failures.push_back("frames: mean " + std::to_string(mean_fps) + " fps, below half the target");
    if (longest_stall >= 5)
        failures.push_back("frames stopped for " + std::to_string(longest_stall) + " s");
    if (g_stop)
        failures.push_back("interrupted");
    for (const auto& f : failures)
        std::printf("soak: FAIL: %s\n", f.c_str());
    std::printf("soak: %s\n", failures.empty() ? "PASS" : "FAIL");
    return failures.empty() ? 0 : 1;
}
