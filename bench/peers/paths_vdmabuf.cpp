// vdmabuf's paths: vdmabufd, then vdmabuf-viewer (headless, a Wayland window
// on a headless weston with its default wl_shm pass-through, or an X11 window
// on Xvfb), then vdmabuf-compositor running the client. The viewer comes
// before the compositor so that it receives every frame the guest presents.
#include "paths.hpp"

#include "fixture.hpp"

#include <vdmabuf/shared/unique_fd.hpp>

#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace vdmabuf::bench_peers::detail {
namespace {

constexpr int kReadyMs = 15000;

// Xvfb writes its pid into its display's lock file.
pid_t xvfb_pid(const std::string& display) {
    std::ifstream in("/tmp/.X" + display.substr(1) + "-lock");
    long pid = -1;
    return in >> pid ? pid_t(pid) : -1;
}

bool start_display(Path p, Running& r, const Scenario& s, std::vector<std::string>& env,
                   std::string& error) {
    if (p == Path::vdmabuf_window) {
        if (!start_weston(r, s, error))
            return false;
        env = {"/usr/bin/env", "-u", "DISPLAY", "XDG_RUNTIME_DIR=" + r.weston->dir(),
               "WAYLAND_DISPLAY=" + r.weston->socket()};
    } else if (p == Path::vdmabuf_x11) {
        r.xvfb = std::make_unique<viewer_test::Xvfb>();
        const std::string screen = std::to_string(s.output_width() + 64) + "x" +
                                   std::to_string(s.output_height() + 64) + "x24";
        if (!r.xvfb->start(screen)) {
            error = "Xvfb did not start";
            return false;
        }
        r.x11_display = r.xvfb->name();
        r.members.push_back({"Xvfb", xvfb_pid(r.x11_display), false});
        env = {"/usr/bin/env", "-u", "WAYLAND_DISPLAY", "DISPLAY=" + r.x11_display,
               "XDG_RUNTIME_DIR=" + r.dir->path()};
    } else {
        env = {"/usr/bin/env", "-u", "WAYLAND_DISPLAY", "-u", "DISPLAY",
               "XDG_RUNTIME_DIR=" + r.dir->path()};
    }
    return true;
}

const char* presenter(Path p) {
    return p == Path::vdmabuf_window ? "wayland" : p == Path::vdmabuf_x11 ? "x11" : "headless";
}

} // namespace

std::unique_ptr<Running> start_vdmabuf(Path p, const Scenario& s, std::string& error) {
    auto r = prepare(error);
    if (!r)
        return nullptr;
    r->daemon = harness::DaemonProcess::start({}, /*log_to_file=*/true);
    if (!r->daemon) {
        error = "vdmabufd did not start";
        return nullptr;
    }
    std::vector<std::string> argv;
    if (!start_display(p, *r, s, argv, error))
        return nullptr;
    r->stats_json = r->dir->path() + "/viewer-stats.json";
    r->viewer_log = r->dir->path() + "/viewer.log";
    // --hud: the frames it shows, once a second, on stderr (to viewer_log).
    argv.insert(argv.end(), {VDMABUF_VIEWER_PATH, "--connect", r->daemon->consumer_socket(),
                             "--no-reconnect", "--presenter", presenter(p), "--hud",
                             "--stats-json", r->stats_json});
    UniqueFd log{::open(r->viewer_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    r->viewer = ChildProcess::spawn(argv, log.get());
    if (!r->viewer || !r->viewer.wait_for_line("vdmabuf-viewer: ready", kReadyMs)) {
        error = "vdmabuf-viewer did not print 'vdmabuf-viewer: ready'";
        return nullptr;
    }
    const std::string output =
        std::to_string(s.output_width()) + "x" + std::to_string(s.output_height());
    argv = {"/usr/bin/env", "-u", "WAYLAND_DISPLAY", "-u", "DISPLAY",
            "XDG_RUNTIME_DIR=" + r->dir->xdg(), compositor_test::compositor_path(),
            "--device", r->daemon->guest_socket(), "--output", output, "--"};
    const auto client = client_argv(*r, s);
    argv.insert(argv.end(), client.begin(), client.end());
    UniqueFd clog{::open((r->dir->path() + "/compositor.log").c_str(),
                         O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    r->compositor = ChildProcess::spawn(argv, clog.get());
    if (!r->compositor || !r->compositor.wait_for_line("vdmabuf-compositor: ready", kReadyMs)) {
        error = "vdmabuf-compositor did not print 'vdmabuf-compositor: ready'";
        return nullptr;
    }
    const pid_t compositor = r->compositor.pid();
    for (int i = 0; i < 200 && r->client_pid <= 0; ++i) { // 10 s
        r->client_pid = find_process(compositor, client_exe(s));
        if (r->client_pid <= 0)
            usleep(50'000);
    }
    if (r->client_pid <= 0) {
        error = "vdmabuf-compositor did not start the client";
        return nullptr;
    }
    r->members.insert(r->members.begin(),
                      {{"vdmabuf-compositor", compositor, true},
                       {"vdmabufd", r->daemon->pid(), false},
                       {"vdmabuf-viewer", r->viewer.pid(), false}});
    return r;
}

} // namespace vdmabuf::bench_peers::detail
