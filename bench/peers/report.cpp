#include "report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>
#include <unistd.h>

namespace vdmabuf::bench_peers {
namespace {

const char* kFrames = "wl_surface.commit requests the client made in the measured window "
                      "(counted in the client by an LD_PRELOAD shim)";
const char* kCpu = "utime+stime of each whole process (all threads, /proc/PID/stat) over the "
                   "window, per committed frame; the client apart";
const char* kWaypipe = "waypipe --no-gpu, its default compression (none in 0.8.4, waypipe(1))";

// Median over the rounds that ran, of `get` for one path at one scenario.
template <class Get>
std::optional<double> median(const std::vector<Result>& rs, Path p, const Scenario& s, Get get) {
    std::vector<double> v;
    for (const Result& r : rs)
        if (r.ok() && r.path == p && r.scenario.name() == s.name() && get(r) >= 0)
            v.push_back(get(r));
    if (v.empty())
        return std::nullopt;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

const Scenario k1080Full{false, 1920, 1080, true}, k1080Square{false, 1920, 1080, false};

struct Key {
    const char* name;
    Path path;
    bool viewer_only;
};
const Key kKeys[] = {{"native_cpu_ms", Path::native, false},
                     {"waypipe_cpu_ms", Path::waypipe, false},
                     {"vdmabuf_headless_cpu_ms", Path::vdmabuf_headless, false},
                     {"vdmabuf_window_cpu_ms", Path::vdmabuf_window, false},
                     {"vdmabuf_x11_cpu_ms", Path::vdmabuf_x11, false},
                     {"viewer_headless_cpu_ms", Path::vdmabuf_headless, true},
                     {"viewer_window_cpu_ms", Path::vdmabuf_window, true},
                     {"viewer_x11_cpu_ms", Path::vdmabuf_x11, true}};

std::optional<double> key_value(const std::vector<Result>& rs, const Key& k, const Scenario& s) {
    return median(rs, k.path, s, [&](const Result& r) {
        return k.viewer_only ? r.viewer_cpu_ms : r.path_cpu_ms;
    });
}

struct Target {
    std::string text;
    std::optional<bool> met; // nullopt: a figure is missing
};

std::vector<Target> targets(const std::vector<Result>& rs) {
    auto v = [&](const char* name, const Scenario& s) {
        for (const Key& k : kKeys)
            if (std::string(k.name) == name)
                return key_value(rs, k, s);
        return std::optional<double>();
    };
    const auto native = v("native_cpu_ms", k1080Full), waypipe = v("waypipe_cpu_ms", k1080Full);
    const auto headless = v("vdmabuf_headless_cpu_ms", k1080Full);
    const auto window = v("vdmabuf_window_cpu_ms", k1080Full);
    // The viewer's figure from schedstat beside a ticks-based one near a tick.
    auto fine = [&](Path p, const Scenario& s) {
        return median(rs, p, s, [](const Result& r) { return r.viewer_cpu_ms_fine; });
    };
    auto check = [](std::string text, std::optional<double> a, std::optional<double> limit,
                    std::optional<double> precise = std::nullopt) {
        char buf[128] = "";
        if (a && limit)
            std::snprintf(buf, sizeof buf, " (%.3f vs %.3f)", *a, *limit);
        if (a && limit && precise)
            std::snprintf(buf, sizeof buf, " (%.3f vs %.3f; near a tick, so schedstat decides: %.3f)",
                          *a, *limit, *precise);
        // Near a tick the finer figure decides.
        const auto x = precise ? precise : a;
        return Target{text + buf, x && limit ? std::optional<bool>(*x <= *limit) : std::nullopt};
    };
    auto scaled = [](std::optional<double> x, double f) {
        return x ? std::optional<double>(*x * f) : std::nullopt;
    };
    return {
        check("vdmabuf_window_cpu_ms <= 1.25 * native_cpu_ms", window, scaled(native, 1.25)),
        check("vdmabuf_headless_cpu_ms <= waypipe_cpu_ms / 3", headless, scaled(waypipe, 1 / 3.0)),
        check("vdmabuf_window_cpu_ms <= waypipe_cpu_ms / 3", window, scaled(waypipe, 1 / 3.0)),
        check("viewer_headless_cpu_ms <= 0.3", v("viewer_headless_cpu_ms", k1080Full), 0.3),
        check("viewer_window_cpu_ms <= 0.3", v("viewer_window_cpu_ms", k1080Full), 0.3),
        check("viewer headless at 1080p 64x64 <= 0.05", v("viewer_headless_cpu_ms", k1080Square),
              0.05, fine(Path::vdmabuf_headless, k1080Square)),
        check("viewer window at 1080p 64x64 <= 0.05", v("viewer_window_cpu_ms", k1080Square),
              0.05, fine(Path::vdmabuf_window, k1080Square)),
    };
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (uint8_t(c) >= 0x20)
            out += c;
    }
    return out + "\"";
}

std::string json_number(double x, bool present = true) {
    if (!present || x < 0)
        return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", x);
    return buf;
}

double tick_ms() {
    return 1000.0 / double(::sysconf(_SC_CLK_TCK));
}

std::string latency_cell(const Result& r) {
    if (r.latency_p50_ms < 0)
        return "n/a";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f/%.1f", r.latency_p50_ms, r.latency_p99_ms);
    return buf;
}

} // namespace

void print_table(const std::vector<Result>& rs, const RunInfo& info, FILE* out) {
    std::fprintf(out, "vdmabuf-bench-peers: %.0f s warm-up, %.0f s measured per run, %d round(s)%s\n",
                info.timing.warmup_s, info.timing.window_s, info.rounds,
                info.quick ? " (--quick)" : "");
    std::fprintf(out, "frames: %s.\nCPU: %s.\nwaypipe: %s.\n\n", kFrames, kCpu, kWaypipe);
    std::fprintf(out, "%-18s %-16s %6s %6s %6s | %8s %6s %8s | %-52s | %s\n", "scenario", "path",
                 "fps", "frames", "shown", "path ms", "path %", "client",
                 "CPU ms/frame per process", "latency p50/p99 ms");
    std::string last;
    for (const Result& r : rs) {
        const std::string scen = r.scenario.name();
        if (scen != last && !last.empty())
            std::fprintf(out, "\n");
        last = scen;
        if (!r.ok()) {
            std::fprintf(out, "%-18s %-16s %s: %s\n", scen.c_str(), path_name(r.path),
                        r.skipped.empty() ? "FAILED" : "skipped",
                        (r.skipped.empty() ? r.error : r.skipped).c_str());
            continue;
        }
        std::string per;
        for (const auto& [name, ms] : r.cpu) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%s%s %.3f", per.empty() ? "" : ", ", name.c_str(), ms);
            per += buf;
        }
        char shown[32] = "-";
        if (r.viewer_fps >= 0)
            std::snprintf(shown, sizeof shown, "%.1f", r.viewer_fps);
        std::fprintf(out, "%-18s %-16s %6.1f %6" PRIu64 " %6s | %8.3f %6.1f %8.3f | %-52s | %s%s%s\n",
                     scen.c_str(), path_name(r.path), r.fps(), r.frames, shown, r.path_cpu_ms,
                     r.path_cpu_percent(), r.client_cpu_ms, per.c_str(), latency_cell(r).c_str(),
                     r.note.empty() ? "" : "  note: ", r.note.c_str());
    }
    std::fprintf(out, "\npath %%: the path's CPU in %% of one core (compare these where the fps differ).\n");
    std::fprintf(out, "fps: the client's commits a second. shown: frames the viewer showed a second "
                "(its --hud), vdmabuf paths only; weston's\nheadless output says nothing, so for "
                "native and waypipe only the commits (paced by buffer releases) count.\n"
                "CPU resolution: one clock tick (%.0f ms) / frames, e.g. %.3f ms/frame at 60 fps.\n"
                "latency notes:\n",
                tick_ms(), tick_ms() / (60 * info.timing.window_s));
    for (const Result& r : rs)
        if (r.ok() && !r.latency_note.empty() && r.scenario.name() == k1080Full.name())
            std::fprintf(out, "  %-16s %s\n", path_name(r.path), r.latency_note.c_str());
    std::fprintf(out, "\nat 1920x1080 full damage (median of rounds), CPU ms per frame without the client:\n");
    for (const Key& k : kKeys) {
        const auto x = key_value(rs, k, k1080Full);
        std::fprintf(out, "  %-24s %s\n", k.name, x ? json_number(*x).c_str() : "n/a");
    }
    std::fprintf(out, "targets:\n");
    for (const Target& t : targets(rs))
        std::fprintf(out, "  %-9s %s\n", !t.met ? "n/a" : *t.met ? "met" : "NOT met", t.text.c_str());
}

void print_json(const std::vector<Result>& rs, const RunInfo& info) {
    std::printf("{");
    for (const Key& k : kKeys) {
        const auto x = key_value(rs, k, k1080Full);
        std::printf("\"%s\": %s, ", k.name, x ? json_number(*x).c_str() : "null");
    }
    std::printf("\"targets\": [");
    bool first = true;
    for (const Target& t : targets(rs)) {
        std::printf("%s{\"target\": %s, \"met\": %s}", first ? "" : ", ", json_string(t.text).c_str(),
                    !t.met ? "null" : *t.met ? "true" : "false");
        first = false;
    }
    std::printf("], \"warmup_s\": %.1f, \"window_s\": %.1f, \"rounds\": %d, \"quick\": %s, "
                "\"frames_are\": %s, \"cpu_is\": %s, \"waypipe\": %s, \"runs\": [",
                info.timing.warmup_s, info.timing.window_s, info.rounds,
                info.quick ? "true" : "false", json_string(kFrames).c_str(),
                json_string(kCpu).c_str(), json_string(kWaypipe).c_str());
    for (size_t i = 0; i < rs.size(); ++i) {
        const Result& r = rs[i];
        std::printf("%s{\"scenario\": %s, \"path\": \"%s\", \"ok\": %s, \"skipped\": %s, "
                    "\"error\": %s, \"frames\": %" PRIu64 ", \"seconds\": %.3f, \"fps\": %.2f, "
                    "\"cpu_ms_per_frame\": {",
                    i ? ", " : "", json_string(r.scenario.name()).c_str(), path_name(r.path),
                    r.ok() ? "true" : "false", json_string(r.skipped).c_str(),
                    json_string(r.error).c_str(), r.frames, r.seconds, r.fps());
        for (size_t j = 0; j < r.cpu.size(); ++j)
            std::printf("%s%s: %.4f", j ? ", " : "", json_string(r.cpu[j].first).c_str(),
                        r.cpu[j].second);
        std::printf("}, \"cpu_resolution_ms_per_frame\": %.4f, \"viewer_fps\": %s, ",
                    tick_ms() / double(r.frames ? r.frames : 1), json_number(r.viewer_fps).c_str());
        std::printf("\"viewer_cpu_ms_schedstat\": %s, "
                    "\"path_cpu_ms\": %.4f, \"path_cpu_percent\": %.2f, \"client_cpu_ms\": %.4f, "
                    "\"note\": %s, \"viewer_frames\": %s, "
                    "\"commits_total\": %" PRIu64 ", \"latency_p50_ms\": %s, "
                    "\"latency_p99_ms\": %s, \"latency_samples\": %zu, \"latency_note\": %s}",
                    json_number(r.viewer_cpu_ms_fine).c_str(), r.path_cpu_ms, r.path_cpu_percent(),
                    r.client_cpu_ms, json_string(r.note).c_str(),
                    r.viewer_frames >= 0 ? std::to_string(r.viewer_frames).c_str() : "null",
                    r.commits_total, json_number(r.latency_p50_ms).c_str(),
                    json_number(r.latency_p99_ms).c_str(), r.latency_samples,
                    json_string(r.latency_note).c_str());
    }
    std::printf("]}\n");
}

} // namespace vdmabuf::bench_peers
