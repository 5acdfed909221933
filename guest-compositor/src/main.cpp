// vdmabuf-compositor: a wlroots guest desktop whose outputs are vdmabuf displays.
#define VDM_LOG_SCOPE "main"
#include "options.hpp"
#include "server.hpp"
#include "startup_command.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

using namespace vdmabuf::compositor;

namespace {

void forward_wlr_log(wlr_log_importance importance, const char* fmt, va_list args) {
    using vdmabuf::log::Level;
    Level level = importance == WLR_ERROR  ? Level::error
                  : importance == WLR_INFO ? Level::info
                                           : Level::debug;
    // wlroots looks for DRM devices in places; on a machine without any this "error"
    // is expected (the renderer choice is logged once by Server::start).
    if (std::strstr(fmt, "drmGetDevices2"))
        level = Level::debug;
    if (vdmabuf::log::enabled(level))
        vdmabuf::log::vwrite(level, "wlr", fmt, args);
}

} // namespace

int main(int argc, char** argv) {
    vdmabuf::log::set_program("vdmabuf-compositor");
    vdmabuf::log::init_from_env();
    const bool verbose = vdmabuf::log::enabled(vdmabuf::log::Level::debug);
    wlr_log_init(verbose ? WLR_DEBUG : WLR_ERROR, &forward_wlr_log);

    std::string error;
    auto options = parse_options(argc, argv, error);
    if (!options) {
        std::fprintf(stderr, "vdmabuf-compositor: %s\n%s", error.c_str(), usage());
        return 2;
    }
    if (options->help) {
        std::fputs(usage(), stdout);
        return 0;
    }
    if (options->device.empty()) {
        struct stat st{};
        options->device = default_device_path(::stat("/dev/virtio-vdmabuf", &st) == 0,
                                              std::getenv("XDG_RUNTIME_DIR"), ::getuid());
    }
    Server server(*options);
    int exit_status = 0;
    StartupCommand command(server.loop_, [&](int status) {
        exit_status = status;
        server.terminate();
    });
    server.on_ready = [] {
        std::printf("vdmabuf-compositor: ready\n");
        std::fflush(stdout);
    };
    if (!server.start())
        return 1;

    std::vector<std::pair<std::string, std::string>> env{{"WAYLAND_DISPLAY",
                                                          server.socket_name()}};
    ::setenv("WAYLAND_DISPLAY", server.socket_name().c_str(), 1);
    if (options->xwayland && !server.x_display_name().empty()) {
        env.emplace_back("DISPLAY", server.x_display_name());
        ::setenv("DISPLAY", server.x_display_name().c_str(), 1);
    }
    std::vector<std::string> argv_cmd = options->command_argv;
    if (!options->shell_command.empty())
        argv_cmd = {"/bin/sh", "-c", options->shell_command};
    if (!argv_cmd.empty() && !command.spawn(argv_cmd, env))
        return 1;

    server.run();
    // The command first gets SIGTERM and a moment to exit as it does on it; one
    // that waits for this compositor in its own shutdown (foot) is then hung up
    // on, or each would wait for the other in ~StartupCommand.
    if (!command.stop(500))
        server.close_clients();
    return exit_status;
}
