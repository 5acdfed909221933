#include "paths.hpp"

#include "fixture.hpp"
#include "proc_sample.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace vdmabuf::bench_peers {

const char* path_name(Path p) {
    switch (p) {
    case Path::native:
        return "native";
    case Path::waypipe:
        return "waypipe";
    case Path::vdmabuf_headless:
        return "vdmabuf-headless";
    case Path::vdmabuf_window:
        return "vdmabuf-window";
    case Path::vdmabuf_x11:
        return "vdmabuf-x11";
    }
    return "?";
}

std::string Scenario::name() const {
    if (simple_shm)
        return "weston-simple-shm";
    return std::to_string(width) + "x" + std::to_string(height) + (full ? " full" : " 64x64");
}

Running::~Running() {
    if (!client && client_pid > 0)
        ::kill(client_pid, SIGTERM);
}

std::string Running::poll_children() {
    struct Named {
        const char* name;
        ChildProcess* child;
    } all[] = {{"vdmabuf-viewer", &viewer},
               {"waypipe client", &waypipe_client},
               {"waypipe server", &waypipe_server},
               {"vdmabuf-compositor", &compositor},
               {"the client", &client}};
    std::string line;
    for (auto& [name, child] : all) {
        if (!*child)
            continue;
        for (int i = 0; i < 64 && child->read_line(line, 0); ++i) {
        }
        int status = 0;
        if (child->exited(&status))
            return std::string(name) + " exited (wait status " + std::to_string(status) + ")";
    }
    if (weston && weston->process().exited())
        return "weston exited";
    if (daemon && !daemon->alive())
        return "vdmabufd exited";
    return "";
}

std::string path_unavailable(Path p, const Scenario& s) {
    auto missing = [](const char* exe) { return ::access(exe, X_OK) != 0; };
    if (s.simple_shm && missing("/usr/bin/weston-simple-shm"))
        return "weston-simple-shm is not installed (package weston)";
    if ((p == Path::native || p == Path::waypipe || p == Path::vdmabuf_window) &&
        missing(viewer_test::kWestonPath))
        return "weston is not installed";
    if (p == Path::waypipe && missing("/usr/bin/waypipe"))
        return "waypipe is not installed (apt-get install waypipe)";
    if (p == Path::vdmabuf_x11 && missing(viewer_test::kXvfbPath))
        return "Xvfb is not installed (package xvfb)";
    if ((p == Path::vdmabuf_headless || p == Path::vdmabuf_window || p == Path::vdmabuf_x11) &&
        compositor_test::compositor_path().empty())
        return "vdmabuf-compositor was not built";
    return "";
}

std::unique_ptr<Running> start_path(Path p, const Scenario& s, std::string& error) {
    error = path_unavailable(p, s);
    if (!error.empty())
        return nullptr;
    switch (p) {
    case Path::native:
        return detail::start_native(s, error);
    case Path::waypipe:
        return detail::start_waypipe(s, error);
    default:
        return detail::start_vdmabuf(p, s, error);
    }
}

namespace detail {

std::unique_ptr<Running> prepare(std::string& error) {
    auto r = std::make_unique<Running>();
    if (auto dir = run::RunDir::create())
        r->dir.emplace(std::move(*dir));
    if (!r->dir || !r->commits.create(r->dir->path() + "/commits")) {
        error = "cannot create the run directory or the commit counter";
        return nullptr;
    }
    return r;
}

std::string client_exe(const Scenario& s) {
    return s.simple_shm ? "/usr/bin/weston-simple-shm" : compositor_test::pattern_client_path();
}

std::vector<std::string> client_argv(const Running& r, const Scenario& s) {
    std::vector<std::string> argv = r.commits.env_prefix();
    argv.push_back(client_exe(s));
    if (!s.simple_shm) {
        argv.insert(argv.end(), {"--size", std::to_string(s.width) + "x" + std::to_string(s.height),
                                 "--mode", s.full ? "full" : "square", "--fps", "60"});
    }
    return argv;
}

bool start_weston(Running& r, const Scenario& s, std::string& error) {
    r.weston = std::make_unique<viewer_test::Weston>();
    // Room for the whole window (and, for the viewer, its decorations), as
    // vdmabuf-bench-window gives it.
    if (!r.weston->start({"--backend=headless-backend.so", "--use-pixman",
                          "--log=" + r.dir->path() + "/weston.log", "--width",
                          std::to_string(s.output_width() + 640), "--height",
                          std::to_string(s.output_height() + 520)})) {
        error = "weston did not start";
        return false;
    }
    r.members.push_back({"weston", r.weston->process().pid(), true});
    return true;
}

pid_t find_process(pid_t root, const std::string& exe) {
    std::error_code ec;
    const auto want = std::filesystem::canonical(exe, ec);
    for (pid_t p : harness::descendants(root)) {
        const auto have =
            std::filesystem::read_symlink("/proc/" + std::to_string(p) + "/exe", ec);
        if (!ec && have == want)
            return p;
    }
    return -1;
}

} // namespace detail
} // namespace vdmabuf::bench_peers
