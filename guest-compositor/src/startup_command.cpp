#define VDM_LOG_SCOPE "session"
#include "startup_command.hpp"

#include <vdmabuf/shared/log.hpp>

#include <csignal>
#include <cstdlib>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdmabuf::compositor {

StartupCommand::StartupCommand(wl_event_loop* loop, std::function<void(int status)> on_exit)
    : on_exit_(std::move(on_exit)) {
    // signalfd sources: the signals are blocked in this process (and unblocked in the child).
    sigchld_.reset(wl_event_loop_add_signal(loop, SIGCHLD, &StartupCommand::handle_sigchld, this));
    sigint_.reset(wl_event_loop_add_signal(loop, SIGINT, &StartupCommand::handle_stop, this));
    sigterm_.reset(wl_event_loop_add_signal(loop, SIGTERM, &StartupCommand::handle_stop, this));
}

bool StartupCommand::stop(int timeout_ms) {
    if (pid_ <= 0)
        return true;
    ::kill(pid_, SIGTERM);
    for (int waited_ms = 0;; waited_ms += 10) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;
            return true;
        }
        if (waited_ms >= timeout_ms)
            return false;
        ::usleep(10 * 1000);
    }
}

StartupCommand::~StartupCommand() {
    // A command that ignores SIGTERM does not keep the compositor: 3 s, then SIGKILL.
    if (stop(3000))
        return;
    VDM_WARN("startup command (pid %d) ignored SIGTERM for 3 s: killed",
             static_cast<int>(pid_));
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

bool StartupCommand::spawn(const std::vector<std::string>& argv,
                           const std::vector<std::pair<std::string, std::string>>& env) {
    if (argv.empty())
        return false;
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        VDM_ERRNO("fork");
        return false;
    }
    if (pid == 0) {
        // Killed with us, even by SIGKILL; if we already died, do not start.
        if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent)
            ::_exit(127);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, nullptr);
        ::setsid();
        for (const auto& [key, value] : env)
            ::setenv(key.c_str(), value.c_str(), 1);
        ::execvp(args[0], args.data());
        VDM_ERRNO("exec %s", args[0]);
        ::_exit(127);
    }
    pid_ = pid;
    VDM_INFO("started '%s' (pid %d)", argv[0].c_str(), static_cast<int>(pid));
    return true;
}

int StartupCommand::handle_sigchld(int /*signal*/, void* data) {
    auto* self = static_cast<StartupCommand*>(data);
    int status = 0;
    // Only our own child: wlroots waits for its Xwayland helper itself.
    if (self->pid_ > 0 && ::waitpid(self->pid_, &status, WNOHANG) == self->pid_) {
        self->pid_ = -1;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status)
                         : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                               : 1;
        VDM_INFO("startup command exited with status %d", code);
        if (self->on_exit_)
            self->on_exit_(code);
    }
    return 0;
}

int StartupCommand::handle_stop(int signal, void* data) {
    auto* self = static_cast<StartupCommand*>(data);
    VDM_INFO("signal %d: stopping", signal);
    if (self->on_exit_)
        self->on_exit_(128 + signal);
    return 0;
}

} // namespace vdmabuf::compositor
