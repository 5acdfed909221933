// The session's startup command (-s CMD or -- CMD ARGS...): started with
// WAYLAND_DISPLAY (and DISPLAY) in its environment; when it exits the compositor
// stops and exits with its status (128 + signal when it was killed).
#pragma once

#include "wlr/handles.hpp"

#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace vdmabuf::compositor {

class StartupCommand {
public:
    // Also watches SIGINT/SIGTERM: they stop the compositor (status 128 + sig).
    StartupCommand(wl_event_loop* loop, std::function<void(int status)> on_exit);
    ~StartupCommand();
    // SIGTERM to the command, then up to timeout_ms for it to exit (reaped).
    // True when it is gone (or never ran).
    bool stop(int timeout_ms);
    StartupCommand(const StartupCommand&) = delete;
    StartupCommand& operator=(const StartupCommand&) = delete;

    // argv[0] searched in PATH. False (logged) if fork fails.
    [[nodiscard]] bool spawn(const std::vector<std::string>& argv,
                             const std::vector<std::pair<std::string, std::string>>& env);
    [[nodiscard]] pid_t pid() const { return pid_; }

private:
    static int handle_sigchld(int signal, void* data);
    static int handle_stop(int signal, void* data);

    std::function<void(int)> on_exit_;
    pid_t pid_ = -1;
    WlEventSource sigchld_;
    WlEventSource sigint_;
    WlEventSource sigterm_;
};

} // namespace vdmabuf::compositor
