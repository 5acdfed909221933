#include "part.hpp"

#include <vdmabuf/shared/time.hpp>

#include <cstdio>
#include <cstring>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace vdmabuf::run {

std::string describe_status(int st) {
    char buf[96];
    if (WIFEXITED(st))
        std::snprintf(buf, sizeof buf, "exited with status %d%s", WEXITSTATUS(st),
                      WEXITSTATUS(st) == 127 ? " (could not be executed?)" : "");
    else if (WIFSIGNALED(st))
        std::snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(st),
                      strsignal(WTERMSIG(st)));
    else
        std::snprintf(buf, sizeof buf, "wait status 0x%x", st);
    return buf;
}

bool Part::start(const std::vector<std::string>& argv, const std::string& ready_line,
                 int timeout_ms, const volatile int* interrupted) {
    if (::access(argv[0].c_str(), X_OK) != 0) {
        std::fprintf(stderr, "vdmabuf-run: %s failed to start: %s: %s\n", name_.c_str(),
                     argv[0].c_str(), std::strerror(errno));
        return false;
    }
    // If vdmabuf-run dies, even by SIGKILL, its parts get SIGTERM and stop too.
    child_ = ChildProcess::spawn(argv, -1, SIGTERM);
    if (!child_) {
        std::fprintf(stderr, "vdmabuf-run: %s failed to start: cannot spawn %s\n", name_.c_str(),
                     argv[0].c_str());
        return false;
    }
    // Short slices so Ctrl-C and an early exit are noticed at once.
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1'000'000u;
    for (;;) {
        const uint64_t slice = now_ns();
        if (child_.wait_for_line(ready_line, 100))
            break;
        if (*interrupted) {
            stop();
            return false;
        }
        if (exited()) {
            std::fprintf(stderr, "vdmabuf-run: %s failed to start: %s before \"%s\"\n",
                         name_.c_str(), describe_status(status_).c_str(), ready_line.c_str());
            return false;
        }
        if (now_ns() >= deadline) {
            std::fprintf(stderr, "vdmabuf-run: %s failed to start: no \"%s\" within %d ms\n",
                         name_.c_str(), ready_line.c_str(), timeout_ms);
            stop();
            return false;
        }
        // stdout closed but the child lives on: do not spin on the EOF.
        if (now_ns() - slice < 50'000'000u)
            usleep(50'000);
    }
    return true;
}

bool Part::exited() {
    if (!child_)
        return true;
    int st = 0;
    if (!child_.exited(&st))
        return false;
    status_ = st;
    child_ = ChildProcess(); // reaped already
    return true;
}

int Part::stop(int timeout_ms) {
    if (child_) {
        status_ = child_.stop(SIGTERM, timeout_ms);
        child_ = ChildProcess();
    }
    return status_;
}

} // namespace vdmabuf::run
