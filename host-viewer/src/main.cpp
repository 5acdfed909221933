// vdmabuf-viewer: shows a guest output from vdmabufd in a window, or headless
// for screenshots and tests. See host-viewer/README.md.
#define VDM_LOG_SCOPE "main"
#include "import/import_probe.hpp"
#include "options.hpp"
#include "present/presenter.hpp"
#include "viewer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <csignal>

namespace {
volatile int g_stop = 0;
void on_signal(int) { g_stop = 1; }
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
    auto viewer = Viewer::create(*options, std::move(presenter));
    if (!viewer)
        return 1;
    return viewer->run(&g_stop);
}
