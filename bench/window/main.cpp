// vdmabuf-bench-window: what a frame costs vdmabuf-viewer as a Wayland window
// on a headless weston (pixman), in one run, modes interleaved round by round:
// pass-through (wl_shm over guest memory: the compositor reads the guest's
// pages), the wl_shm copy (vdmabufd --no-writable-imports: the viewer copies
// the damage into wl_shm buffers of its own) and --no-pass-through (GL:
// upload + draw, llvmpipe here). The path column is the viewer's own
// --stats-json import_path, so each mode is checked to be what it says.
// --x11: as an X11 window on Xvfb instead (pass-through: MIT-SHM puts from
// guest memory, the X server reads the guest's pages; no copy mode).
//
// Real processes: vdmabufd, a synthetic guest in this process
// (libvdmabuf-guest, two 1920x1080 XRGB8888 buffers, full damage), weston or
// Xvfb (the "server" column) and the viewer. Frames are presented at 60 fps, each once the guest has it back
// (double buffered). CPU = utime + stime of the whole process (all threads)
// from /proc/PID/stat over the measured frames, after a warm-up.
//
//   vdmabuf-bench-window [--frames N] [--rounds R] [--size WxH] [--x11]
#include "actors.hpp"
#include "daemon_process.hpp"
#include "weston.hpp"

#include "../peers/proc_cpu.hpp"
#ifdef VDMABUF_BENCH_X11
#include "xvfb.hpp"
#endif

#include <vdmabuf/shared/child_process.hpp>
#include <vdmabuf/shared/time.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace vdmabuf;
using vdmabuf::viewer_test::Weston;
using vdmabuf::bench_peers::cpu_ms;

namespace {

struct Sample {
    double viewer_ms = 0, server_ms = 0; // per frame
    size_t frames = 0, not_done = 0;
    std::string path; // the viewer's import_path
    bool ok = false;
};

enum class Mode { PassThrough, Copy, Gl };

const char* mode_name(Mode m, bool x11) {
    switch (m) {
    case Mode::PassThrough: return x11 ? "MIT-SHM pass-through" : "wl_shm pass-through";
    case Mode::Copy: return "wl_shm copy (--no-writable-imports)";
    case Mode::Gl: return "GL (--no-pass-through)";
    }
    return "";
}

std::string import_path(const std::string& stats_json) {
    std::ifstream f(stats_json);
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const std::string key = "\"import_path\": \"";
    auto at = s.find(key);
    if (at == std::string::npos)
        return "?";
    at += key.size();
    return s.substr(at, s.find('"', at) - at);
}

// server: weston's or Xvfb's pid; presenter: "wayland" or "x11".
Sample run_mode(pid_t server, const char* presenter, Mode mode, uint32_t w, uint32_t h,
                int frames) {
    Sample out;
    // Read-only guest-memory fds: the compositor cannot map them, the viewer copies.
    auto daemon = harness::DaemonProcess::start(
        mode == Mode::Copy ? std::vector<std::string>{"--no-writable-imports"}
                           : std::vector<std::string>{});
    if (!daemon)
        return out;
    frontend::DeviceOptions opts;
    opts.name = "bench-window";
    opts.memory_size = 64ull << 20;
    auto guest = harness::GuestActor::open(daemon->guest_socket(), opts);
    if (!guest)
        return out;
    harness::ExportedBuffer bufs[2] = {harness::export_pattern(*guest, w, h, 1),
                                      harness::export_pattern(*guest, w, h, 2)};
    std::vector<std::string> argv = {VDMABUF_VIEWER_PATH, "--connect", daemon->consumer_socket(),
                                     "--no-reconnect", "--presenter", presenter};
    const std::string stats = daemon->dir() + "/stats.json";
    argv.insert(argv.end(), {"--stats-json", stats});
    if (mode == Mode::Gl)
        argv.push_back("--no-pass-through");
    ChildProcess viewer = ChildProcess::spawn(argv);
    if (!viewer || !viewer.wait_for_line("vdmabuf-viewer: ready", 10000))
        return out;
    const int warmup = 30;
    const uint64_t period = 1'000'000'000ull / 60;
    double v0 = 0, w0 = 0;
    uint64_t next = now_ns();
    for (int seq = 1; seq <= warmup + frames; ++seq) {
        if (seq == warmup + 1) {
            v0 = cpu_ms(viewer.pid());
            w0 = cpu_ms(server);
        }
        // Double buffered: a buffer goes out again only once it came back.
        if (!harness::pump_until([&] { return guest->releases.size() + 2 >= size_t(seq); }, 5000,
                                 {guest.get()}, {}))
            return out;
        (void)harness::pump_until([&] { return now_ns() >= next; }, 100, {guest.get()}, {});
        next += period;
        if (!guest->device->present(bufs[seq % 2].id, 0, uint64_t(seq), now_ns(), {}))
            return out;
    }
    (void)harness::pump_until([&] { return guest->releases.size() + 1 >= size_t(warmup + frames); },
                              5000, {guest.get()}, {});
    out.viewer_ms = (cpu_ms(viewer.pid()) - v0) / frames;
    out.server_ms = (cpu_ms(server) - w0) / frames;
    viewer.stop(SIGTERM, 3000);
    (void)harness::pump_until([&] { return guest->releases.size() >= size_t(warmup + frames); },
                              3000, {guest.get()}, {});
    out.frames = guest->releases.size();
    out.path = import_path(stats);
    for (const auto& r : guest->releases)
        out.not_done += r.reason != VDMABUF_RELEASE_DONE;
    out.ok = true;
    return out;
}

} // namespace

int main(int argc, char** argv) {
    int frames = 300, rounds = 2;
    uint32_t w = 1920, h = 1080;
    bool x11 = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--size") && i + 1 < argc &&
                 std::sscanf(argv[++i], "%ux%u", &w, &h) == 2)
            ;
        else if (!std::strcmp(argv[i], "--x11"))
            x11 = true;
        else {
            std::fprintf(stderr, "usage: vdmabuf-bench-window [--frames N] [--rounds R] "
                                 "[--size WxH] [--x11]\n");
            return 2;
        }
    }
    Weston weston;
#ifdef VDMABUF_BENCH_X11
    viewer_test::Xvfb xvfb;
#endif
    pid_t server = 0;
    if (x11) {
#ifdef VDMABUF_BENCH_X11
        if (::access(viewer_test::kXvfbPath, X_OK) != 0) {
            std::fprintf(stderr, "Xvfb is not installed\n");
            return 77;
        }
        // The window 1:1 on the screen (MIT-SHM does not scale).
        if (!xvfb.start(std::to_string(w + 64) + "x" + std::to_string(h + 64) + "x24")) {
            std::fprintf(stderr, "Xvfb did not start\n");
            return 1;
        }
        setenv("DISPLAY", xvfb.name().c_str(), 1);
        unsetenv("WAYLAND_DISPLAY");
        server = xvfb.pid();
#else
        std::fprintf(stderr, "built without X11\n");
        return 77;
#endif
    } else {
        if (::access(viewer_test::kWestonPath, X_OK) != 0) {
            std::fprintf(stderr, "weston is not installed\n");
            return 77;
        }
        // Room for the whole window and its decorations on the screen.
        if (!weston.start({"--backend=headless-backend.so", "--use-pixman", "--width",
                           std::to_string(w + 640), "--height", std::to_string(h + 520)})) {
            std::fprintf(stderr, "weston did not start\n");
            return 1;
        }
        setenv("XDG_RUNTIME_DIR", weston.dir().c_str(), 1);
        setenv("WAYLAND_DISPLAY", weston.socket().c_str(), 1);
        unsetenv("DISPLAY");
        server = weston.process().pid();
    }
    setenv("VDMABUF_LOG", "warn", 0); // the daemon's and the viewer's
    std::printf("%ux%u full damage, %d frames at 60 fps per run, CPU ms per frame\n", w, h, frames);
    std::printf("%-6s %-36s %-12s %10s %10s %8s %9s\n", "round", "mode", "import_path",
                "viewer", x11 ? "Xvfb" : "weston", "frames", "not DONE");
    for (int r = 1; r <= rounds; ++r)
        for (Mode m : std::array{Mode::PassThrough, Mode::Copy, Mode::Gl}) {
            if (x11 && m == Mode::Copy)
                continue; // MIT-SHM needs no writable fds: no copy mode
            Sample s = run_mode(server, x11 ? "x11" : "wayland", m, w, h, frames);
            std::printf("%-6d %-36s %-12s %10.3f %10.3f %8zu %9zu%s\n", r, mode_name(m, x11),
                        s.path.c_str(), s.viewer_ms, s.server_ms, s.frames, s.not_done,
                        s.ok ? "" : "  (failed)");
            std::fflush(stdout);
        }
    return 0;
}
