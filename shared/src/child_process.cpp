#define VDM_LOG_SCOPE "child"
#include <vdmabuf/shared/child_process.hpp>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <csignal>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace vdmabuf {

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_),
      stdout_(std::move(other.stdout_)), pending_(std::move(other.pending_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = std::exchange(other.pid_, -1);
        status_ = other.status_;
        stdout_ = std::move(other.stdout_);
        pending_ = std::move(other.pending_);
    }
    return *this;
}

ChildProcess::~ChildProcess() { stop(); }

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, int stderr_fd,
                                 int death_signal) {
    ChildProcess child;
    if (argv.empty())
        return child;
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
        VDM_ERRNO("pipe2 failed");
        return child;
    }
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    // Build argv before fork: only async-signal-safe calls after it.
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        VDM_ERRNO("fork failed");
        return child;
    }
    if (pid == 0) {
        // The parent may have died between fork and prctl: then no signal would
        // ever come, so check that it is still ours.
        if (death_signal &&
            (prctl(PR_SET_PDEATHSIG, death_signal) != 0 || getppid() != parent))
            _exit(127);
        dup2(write_end.get(), STDOUT_FILENO);
        if (stderr_fd >= 0)
            dup2(stderr_fd, STDERR_FILENO);
        execv(args[0], args.data());
        _exit(127);
    }
    child.pid_ = pid;
    child.stdout_ = std::move(read_end);
    return child;
}

bool ChildProcess::wait_for_line(const std::string& line, int timeout_ms) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    while (true) {
        size_t nl;
        while ((nl = pending_.find('\n')) != std::string::npos) {
            std::string got = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            if (got == line)
                return true;
        }
        uint64_t now = now_ns();
        if (now >= deadline || !stdout_)
            return false;
        pollfd pfd{stdout_.get(), POLLIN, 0};
        int r = poll(&pfd, 1, int((deadline - now) / 1000000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        char buf[512];
        ssize_t n = read(stdout_.get(), buf, sizeof buf);
        if (n <= 0)
            return false;
        pending_.append(buf, size_t(n));
    }
}

bool ChildProcess::read_line(std::string& line, int timeout_ms) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    while (true) {
        if (const size_t nl = pending_.find('\n'); nl != std::string::npos) {
            line = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            return true;
        }
        if (!stdout_)
            return false;
        const uint64_t now = now_ns();
        pollfd pfd{stdout_.get(), POLLIN, 0};
        const int r = poll(&pfd, 1, now >= deadline ? 0 : int((deadline - now) / 1000000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        char buf[512];
        const ssize_t n = read(stdout_.get(), buf, sizeof buf);
        if (n <= 0)
            return false;
        pending_.append(buf, size_t(n));
    }
}

bool ChildProcess::exited(int* status) {
    if (pid_ <= 0)
        return true;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = st;
        pid_ = -1;
        if (status)
            *status = st;
        return true;
    }
    return false;
}

int ChildProcess::stop(int signo, int timeout_ms) {
    if (pid_ <= 0)
        return status_;
    kill(pid_, signo);
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    while (now_ns() < deadline) {
        if (exited())
            return status_;
        usleep(2000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
}

} // namespace vdmabuf
