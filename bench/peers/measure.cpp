#include "measure.hpp"

#include <vdmabuf/shared/time.hpp>

#include <csignal>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace vdmabuf::bench_peers {

volatile int g_interrupted = 0;

namespace {

struct Sample {
    uint64_t commits = 0, ns = 0;
    long log_size = 0; // of the viewer's stderr
    std::vector<double> members;
    double client = 0;
    double viewer_fine = -1;
};

Sample sample(const Running& r) {
    Sample s;
    s.commits = r.commits.value();
    s.ns = now_ns();
    for (const Member& m : r.members)
        s.members.push_back(member_cpu_ms(m, r.client_pid));
    s.client = cpu_ms(r.client_pid);
    if (r.viewer)
        s.viewer_fine = cpu_ms_fine(r.viewer.pid());
    std::error_code ec;
    if (!r.viewer_log.empty())
        s.log_size = long(std::filesystem::file_size(r.viewer_log, ec));
    return s;
}

// Waits `seconds` (or until pred()), reading the children's output; false
// with `error` set if one of them exits.
template <class Pred>
bool run_for(Running& r, double seconds, std::string& error, Pred pred) {
    const uint64_t end = now_ns() + uint64_t(seconds * 1e9);
    while (now_ns() < end && !pred()) {
        error = g_interrupted ? "interrupted" : r.poll_children();
        if (!error.empty())
            return false;
        usleep(20'000);
    }
    return true;
}

// "frames" of the viewer's --stats-json, -1 if absent.
int64_t viewer_frames(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const auto at = text.find("\"frames\": ");
    return at == std::string::npos ? -1 : std::strtoll(text.c_str() + at + 10, nullptr, 10);
}

// The mean of the viewer's "hud: N fps" lines written between the two
// samples (one a second), -1 if none.
double hud_fps(const std::string& log, long from, long to) {
    std::ifstream in(log);
    in.seekg(from);
    std::string line;
    double sum = 0;
    int n = 0;
    while (in.tellg() >= 0 && in.tellg() < to && std::getline(in, line)) {
        const auto at = line.find("hud: ");
        if (at != std::string::npos) {
            sum += std::strtod(line.c_str() + at + 5, nullptr);
            ++n;
        }
    }
    return n ? sum / n : -1;
}

// The last line of a log in the run directory, for an error message.
std::string last_line(const std::string& path) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty())
            last = line;
    return last;
}

} // namespace

namespace {

// Warm-up, the window, the latency; false with out.error set on failure.
bool measure_running(Running& r, Result& out, const Timing& t) {
    if (!run_for(r, 15, out.error, [&] { return r.commits.value() > 0; }))
        return false;
    if (r.commits.value() == 0) {
        out.error = "the client committed nothing in 15 s";
        return false;
    }
    if (!run_for(r, t.warmup_s, out.error, [] { return false; }))
        return false;
    const Sample a = sample(r);
    if (!run_for(r, t.window_s, out.error, [] { return false; }))
        return false;
    const Sample b = sample(r);
    out.frames = b.commits - a.commits;
    out.seconds = double(b.ns - a.ns) / 1e9;
    if (out.frames == 0) {
        out.error = "the client committed nothing in the window";
        return false;
    }
    const double n = double(out.frames);
    for (size_t i = 0; i < r.members.size(); ++i) {
        const double ms = (b.members[i] - a.members[i]) / n;
        out.cpu.emplace_back(r.members[i].name, ms);
        out.path_cpu_ms += ms;
        if (r.members[i].name == "vdmabuf-viewer")
            out.viewer_cpu_ms = ms;
    }
    out.client_cpu_ms = (b.client - a.client) / n;
    if (a.viewer_fine >= 0 && b.viewer_fine >= 0)
        out.viewer_cpu_ms_fine = (b.viewer_fine - a.viewer_fine) / n;
    if (!r.viewer_log.empty()) {
        out.viewer_fps = hud_fps(r.viewer_log, a.log_size, b.log_size);
        if (out.viewer_fps < 0) {
            out.viewer_fps = 0;
            out.note = "the viewer printed no HUD line in the window: under 1 frame a second";
        }
    }
    measure_latency(r, out, t.latency_s);
    if (r.viewer) { // it writes --stats-json as it exits
        r.viewer.stop(SIGTERM, 5000);
        out.viewer_frames = viewer_frames(r.stats_json);
        if (out.viewer_frames < 0)
            out.note += std::string(out.note.empty() ? "" : "; ") +
                        "the viewer wrote no --stats-json (it did not exit within 5 s of SIGTERM)";
    }
    out.commits_total = r.commits.value();
    return true;
}

} // namespace

Result measure(Path p, const Scenario& s, const Timing& t) {
    Result out;
    out.path = p;
    out.scenario = s;
    out.skipped = path_unavailable(p, s);
    if (!out.skipped.empty())
        return out;
    std::unique_ptr<Running> r = start_path(p, s, out.error);
    if (r && !measure_running(*r, out, t)) {
        // What the vdmabuf processes said last (their logs go with the run directory).
        for (const char* log : {"/compositor.log", "/viewer.log"})
            if (std::string line = last_line(r->dir->path() + log); !line.empty())
                out.error += std::string("; ") + (log + 1) + ": " + line;
    }
    return out;
}

} // namespace vdmabuf::bench_peers
