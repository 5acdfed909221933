// One process of the pipeline: started, waited for until it prints its
// readiness line (never a sleep), and stopped and reaped on destruction.
#pragma once

#include <vdmabuf/shared/child_process.hpp>

#include <string>
#include <vector>

namespace vdmabuf::run {

class Part {
public:
    explicit Part(std::string name) : name_(std::move(name)) {}
    ~Part() { stop(); }
    Part(const Part&) = delete;
    Part& operator=(const Part&) = delete;

    // Spawns argv and waits up to timeout_ms for `ready_line` on its stdout,
    // giving up early when *interrupted becomes non-zero. On failure says why
    // on stderr (the child's own log lines are already there) and stops it.
    bool start(const std::vector<std::string>& argv, const std::string& ready_line,
               int timeout_ms, const volatile int* interrupted);
    // Non-blocking: true if it has exited by itself (status recorded).
    bool exited();
    // SIGTERM, then SIGKILL after timeout_ms; reaps. Returns the wait status.
    int stop(int timeout_ms = 3000);

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] int status() const { return status_; }
    [[nodiscard]] pid_t pid() const { return child_.pid(); }

private:
    std::string name_;
    ChildProcess child_;
    int status_ = 0;
};

// "exited with status 1", "killed by signal 9", ...
std::string describe_status(int wait_status);

} // namespace vdmabuf::run
