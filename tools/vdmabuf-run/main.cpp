// vdmabuf-run: the whole pipeline in one command. vdmabufd, then
// vdmabuf-compositor with a client, then vdmabuf-viewer, each started only
// once the previous one says it is ready; after --seconds (or Ctrl-C) they are
// stopped in the reverse order and the figures printed.
#include "figures.hpp"
#include "options.hpp"
#include "part.hpp"
#include "run_dir.hpp"

#include <vdmabuf/shared/time.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace {

volatile int g_signal = 0;
void on_signal(int signo) { g_signal = signo; }

constexpr int kReadyTimeoutMs = 15000;
constexpr int kVmReadyTimeoutMs = 240000;

std::string program(const char* env, const char* built) {
    const char* p = std::getenv(env);
    return p && *p ? p : built;
}

// Sets one variable for the next spawn only (we are single-threaded).
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void progress(const char* fmt, const std::string& arg) {
    std::printf(fmt, arg.c_str());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    using namespace vdmabuf::run;
    int code = 0;
    std::optional<Options> opt = parse_options(argc, argv, &code);
    if (!opt)
        return code;
    ::setenv("VDMABUF_LOG", "warn", 0); // quiet children unless the user asked
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    const std::string daemon_bin = program("VDMABUFD", VDMABUF_RUN_VDMABUFD);
    const std::string compositor_bin = program("VDMABUF_COMPOSITOR", VDMABUF_RUN_COMPOSITOR);
    const std::string viewer_bin = program("VDMABUF_VIEWER", VDMABUF_RUN_VIEWER);
    std::vector<std::string> client = opt->client;
    if (client.empty()) {
        std::string pattern = program("VDMABUF_PATTERN_CLIENT", VDMABUF_RUN_PATTERN_CLIENT);
        if (::access(pattern.c_str(), X_OK) == 0)
            client = {pattern, "--mode", "square"};
        else
            client = {"weston-simple-shm"}; // the demo client is built only with the tests
    }

    std::error_code ec;
    std::filesystem::path shot(opt->screenshot);
    // Only the default's out/ is made; a --screenshot directory must exist (options.cpp).
    if (opt->screenshot == Options{}.screenshot)
        std::filesystem::create_directories(shot.parent_path(), ec);
    std::filesystem::remove(shot, ec); // a stale one must not pass for this run's

    std::optional<RunDir> dir = RunDir::create();
    if (!dir)
        return 1;
    const std::string guest_sock = dir->path() + "/guest.sock";
    const std::string consumer_sock = dir->path() + "/consumer.sock";
    std::printf("run dir: %s\n", dir->path().c_str());

    // Destroyed in reverse: viewer, compositor, daemon, then the directory.
    Part daemon("vdmabufd"), compositor(opt->vm ? "the guest VM" : "vdmabuf-compositor"),
        viewer("vdmabuf-viewer");
    auto interrupted = [] {
        if (g_signal)
            std::fprintf(stderr, "vdmabuf-run: %s, stopping\n", strsignal(g_signal));
        return g_signal ? 128 + g_signal : 1;
    };

    progress("[1/4] starting vdmabufd (%s) ...\n", daemon_bin);
    if (!daemon.start({daemon_bin, "--guest-socket", guest_sock, "--consumer-socket", consumer_sock},
                      "vdmabufd: ready", kReadyTimeoutMs, &g_signal))
        return interrupted();

    std::string client_line;
    for (const auto& a : client)
        client_line += (client_line.empty() ? "" : " ") + a;
    if (opt->vm) {
        // Building the module and booting under TCG take a while; the
        // compositor in the guest is ready within ~30 s on an idle machine.
        progress("[2/4] booting a QEMU guest running vdmabuf-compositor with: %s ...\n",
                 client_line);
        std::vector<std::string> args{"/bin/bash", VDMABUF_RUN_VM_SCRIPT, VDMABUF_RUN_SOURCE_ROOT,
                                      VDMABUF_RUN_BUILD_ROOT, guest_sock, dir->path() + "/vm",
                                      opt->output, "--"};
        args.insert(args.end(), client.begin(), client.end());
        if (!compositor.start(args, "vdmabuf-vm: ready", kVmReadyTimeoutMs, &g_signal))
            return interrupted();
    } else {
        progress("[2/4] starting vdmabuf-compositor with: %s ...\n", client_line);
        ScopedEnv xdg("XDG_RUNTIME_DIR", dir->xdg()); // the guest's, not the host viewer's
        std::vector<std::string> args{compositor_bin, "--device", guest_sock, "--output",
                                      opt->output, "--"};
        args.insert(args.end(), client.begin(), client.end());
        if (!compositor.start(args, "vdmabuf-compositor: ready", kReadyTimeoutMs, &g_signal))
            return interrupted();
    }

    std::string presenter = "headless";
    if (opt->window) {
        if (std::getenv("WAYLAND_DISPLAY") || std::getenv("DISPLAY"))
            presenter = "auto";
        else
            std::printf("      --window: no WAYLAND_DISPLAY or DISPLAY, staying headless\n");
    }
    const std::string stats_json = dir->path() + "/viewer-stats.json";
    progress("[3/4] starting vdmabuf-viewer (%s presenter) ...\n", presenter);
    if (!viewer.start({viewer_bin, "--connect", consumer_sock, "--presenter", presenter,
                       "--screenshot", opt->screenshot, "--stats-json", stats_json},
                      "vdmabuf-viewer: ready", kReadyTimeoutMs, &g_signal))
        return interrupted();
    const uint64_t viewer_start = vdmabuf::now_ns();

    if (opt->seconds > 0)
        std::printf("[4/4] running for %g s (Ctrl-C stops early) ...\n", opt->seconds);
    else
        std::printf("[4/4] running until Ctrl-C ...\n");
    std::fflush(stdout);
    const uint64_t end = viewer_start + uint64_t(opt->seconds * 1e9);
    bool failed = false;
    while (!g_signal && (opt->seconds == 0 || vdmabuf::now_ns() < end)) {
        // Both the viewer (window closed) and the compositor (client done) may end
        // a run cleanly; anything else dying is a failure.
        Part* gone = nullptr;
        for (Part* p : {&daemon, &compositor, &viewer})
            if (!gone && p->exited())
                gone = p;
        if (gone) {
            bool clean = gone != &daemon && WIFEXITED(gone->status()) && WEXITSTATUS(gone->status()) == 0;
            std::fprintf(stderr, "vdmabuf-run: %s %s %s\n", gone->name().c_str(),
                         clean ? "finished:" : "died early:", describe_status(gone->status()).c_str());
            failed = !clean;
            break;
        }
        usleep(20'000); // the run's own clock, not a readiness wait
    }
    const double viewer_seconds = double(vdmabuf::now_ns() - viewer_start) / 1e9;

    // The viewer writes its screenshot and stats on SIGTERM.
    std::printf("stopping vdmabuf-viewer, vdmabuf-compositor, vdmabufd ...\n");
    std::fflush(stdout);
    bool viewer_was_running = viewer.pid() > 0;
    int vst = viewer.stop(5000);
    if (viewer_was_running && !g_signal && !(WIFEXITED(vst) && WEXITSTATUS(vst) == 0)) {
        std::fprintf(stderr, "vdmabuf-run: vdmabuf-viewer failed: %s\n", describe_status(vst).c_str());
        failed = true;
    }
    compositor.stop(opt->vm ? 20000 : 3000); // a guest powers off first
    RunFacts facts;
    facts.viewer_seconds = viewer_seconds;
    facts.viewer_stats_json = read_file(stats_json);
    facts.screenshot = opt->screenshot;
    if (daemon.pid() > 0)
        facts.daemon_stats_json = query_daemon_stats(consumer_sock).value_or("");
    daemon.stop();

    if (!print_figures(facts))
        failed = true;
    if (g_signal)
        return interrupted();
    return failed ? 1 : 0;
}
