// vdmabuf-viewer: shows a guest output from vdmabufd in a window, or headless
// for screenshots and tests. See host-viewer/README.md.
#define VDM_LOG_SCOPE "main"
#include "import/import_probe.hpp"
#include "options.hpp"
#include "present/presenter.hpp"
#include "viewer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {
volatile int g_stop = 0;
void on_signal(int) { g_stop = 1; }

// A file written at exit (--stats-json): its directory must exist and be
// writable now, so a typo fails at once with exit 2 rather than after the run.
bool writable_later(const char* option, const std::string& path) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0) {
        VDM_ERRNO("%s %s: directory %s", option, path.c_str(), dir.c_str());
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        VDM_ERROR("%s %s: %s is not a directory", option, path.c_str(), dir.c_str());
        return false;
    }
    if (::access(dir.c_str(), W_OK) != 0) {
        VDM_ERRNO("%s %s: cannot write in %s", option, path.c_str(), dir.c_str());
        return false;
    }
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        VDM_ERROR("%s %s: is a directory", option, path.c_str());
        return false;
    }
    return true;
}
} // namespace

int main(int argc, char** argv) {
    using namespace vdmabuf::viewer;
    // Hidden: this binary run again as the zero-copy probe (import_probe.hpp).
    if (argc == 2 && argv[1] == kImportProbeFlag)
        return run_import_probe_child();
    vdmabuf::log::set_program("vdmabuf-viewer");
    int code = 0;
    std::optional<Options> options = parse_options(argc, argv, &code);
    if (!options)
        return code;
    // Usage errors first (exit 2), before any window or connection.
    std::vector<Command> commands;
    if (!options->commands.empty()) {
        std::string error;
        auto cmds = load_commands(options->commands, &error);
        if (!cmds) {
            VDM_ERROR("--commands %s", error.c_str());
            return 2;
        }
        commands = std::move(*cmds);
    }
    if (!options->stats_json.empty() && !writable_later("--stats-json", options->stats_json))
        return 2;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    PresenterOptions po;
    po.fullscreen = options->fullscreen;
    po.pass_through = options->pass_through;
    auto presenter = create_presenter(options->presenter, po);
    if (!presenter)
        return 1;
    auto viewer = Viewer::create(*options, std::move(presenter), std::move(commands));
    if (!viewer)
        return 1;
    return viewer->run(&g_stop);
}
