// A child process started with fork+exec, its stdout on a pipe so callers can
// wait for a readiness line instead of sleeping. Killed (SIGTERM, then
// SIGKILL) and reaped on destruction, so tests never leave processes behind.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf {

class ChildProcess {
public:
    ChildProcess() = default;
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;

    // argv[0] is the program path. stderr is inherited, or goes to stderr_fd when
    // that is >= 0 (the caller keeps its copy). With death_signal (e.g. SIGTERM)
    // the child gets that signal when the calling thread dies, even by SIGKILL
    // (PR_SET_PDEATHSIG; call it from the main thread then). Empty on failure.
    [[nodiscard]] static ChildProcess spawn(const std::vector<std::string>& argv,
                                            int stderr_fd = -1, int death_signal = 0);

    // Reads stdout until a line equal to `line` arrives; false on EOF or timeout.
    [[nodiscard]] bool wait_for_line(const std::string& line, int timeout_ms);
    // The next line of stdout (without the newline); false on EOF or when none
    // is complete within timeout_ms (0: only what is already readable).
    [[nodiscard]] bool read_line(std::string& line, int timeout_ms);
    // Sends `signo`, waits up to timeout_ms, then SIGKILLs. Returns the wait status.
    int stop(int signo = 15, int timeout_ms = 3000);
    // Non-blocking: true (and the status) if the child has exited.
    bool exited(int* status = nullptr);

    [[nodiscard]] pid_t pid() const { return pid_; }
    explicit operator bool() const { return pid_ > 0; }

private:
    pid_t pid_ = -1;
    int status_ = 0;
    UniqueFd stdout_;
    std::string pending_;
};

} // namespace vdmabuf
