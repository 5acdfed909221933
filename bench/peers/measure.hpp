// One path with one scenario: start it, let it warm up, then measure a fixed
// window of wall time: the client's commits (the frame count), and the CPU
// time of every process on the path and of the client.
#pragma once

#include "paths.hpp"

#include <string>
#include <utility>
#include <vector>

namespace vdmabuf::bench_peers {

struct Timing {
    double warmup_s = 2, window_s = 8, latency_s = 1;
};

struct Result {
    Path path{};
    Scenario scenario;
    std::string skipped; // why it could not run here
    std::string error;   // why it failed
    uint64_t frames = 0; // commits by the client in the window
    double seconds = 0;
    // CPU ms per frame: each process of the path, their sum, the client apart.
    std::vector<std::pair<std::string, double>> cpu;
    double path_cpu_ms = 0, client_cpu_ms = 0;
    double viewer_cpu_ms = -1;   // vdmabuf paths: the viewer alone
    double viewer_cpu_ms_fine = -1; // the same from schedstat (cpu_ms_fine)
    double viewer_fps = -1;      // frames the viewer showed a second in the window (its HUD)
    int64_t viewer_frames = -1;  // frames the viewer took, whole run (--stats-json)
    uint64_t commits_total = 0;  // commits by the client, whole run
    // Client commit -> pixels with the final consumer; -1 with a reason if n/a.
    double latency_p50_ms = -1, latency_p99_ms = -1;
    size_t latency_samples = 0;
    std::string latency_note;
    std::string note; // anything odd seen in the run

    // The path's CPU in percent of one core over the window (fps differ).
    [[nodiscard]] double path_cpu_percent() const { return path_cpu_ms * fps() / 10.0; }

    [[nodiscard]] bool ok() const { return skipped.empty() && error.empty(); }
    [[nodiscard]] double fps() const { return seconds > 0 ? double(frames) / seconds : 0; }
};

// Set by SIGINT/SIGTERM: the run in progress ends, its processes are stopped.
extern volatile int g_interrupted;

[[nodiscard]] Result measure(Path p, const Scenario& s, const Timing& t);

// latency.cpp: samples the latency where the final pixels can be read (the
// X11 window); elsewhere sets latency_note to why not.
void measure_latency(Running& r, Result& out, double seconds);

} // namespace vdmabuf::bench_peers
