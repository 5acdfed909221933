// A real vdmabufd for tests, benchmarks and the demo: its own socket
// directory, started and waited for ("vdmabufd: ready"), stopped and cleaned
// up on destruction.
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <vdmabuf/shared/child_process.hpp>

namespace vdmabuf::harness {

// $VDMABUFD if set, else the vdmabufd this build made.
[[nodiscard]] std::string vdmabufd_path();
// $VDMABUFCTL if set, else the vdmabufctl this build made.
[[nodiscard]] std::string vdmabufctl_path();

class DaemonProcess {
public:
    // Extra command-line arguments, e.g. {"--release-timeout", "200"}. With
    // log_to_file, vdmabufd's stderr is appended to log_path() instead of inherited.
    [[nodiscard]] static std::unique_ptr<DaemonProcess> start(std::vector<std::string> extra_args = {},
                                                              bool log_to_file = false);
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    [[nodiscard]] const std::string& guest_socket() const { return guest_socket_; }
    [[nodiscard]] const std::string& consumer_socket() const { return consumer_socket_; }
    [[nodiscard]] const std::string& dir() const { return dir_; }
    // vdmabufd's stderr when started with log_to_file, else empty.
    [[nodiscard]] const std::string& log_path() const { return log_path_; }
    [[nodiscard]] pid_t pid() const { return child_.pid(); }
    // True while the daemon process has not exited.
    [[nodiscard]] bool alive();
    // Sends `signo` (SIGTERM unless told, e.g. SIGKILL for a crash), waits for
    // the exit (SIGKILL after 3 s); the wait status. No-op once stopped.
    int stop(int signo = SIGTERM);
    // Stops the daemon if it still runs (SIGTERM), then starts a new vdmabufd
    // on the same socket paths and arguments and waits for "vdmabufd: ready";
    // false if it did not become ready. The directory stays this object's.
    [[nodiscard]] bool restart();

private:
    DaemonProcess() = default;
    [[nodiscard]] bool spawn();
    std::string dir_, guest_socket_, consumer_socket_, log_path_;
    std::vector<std::string> extra_args_;
    ChildProcess child_;
};

} // namespace vdmabuf::harness
