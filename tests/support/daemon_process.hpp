// A real vdmabufd for tests, benchmarks and the demo: its own socket
// directory, started and waited for ("vdmabufd: ready"), stopped and cleaned
// up on destruction.
#pragma once

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
    // Extra command-line arguments, e.g. {"--release-timeout", "200"}.
    [[nodiscard]] static std::unique_ptr<DaemonProcess> start(std::vector<std::string> extra_args = {});
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    [[nodiscard]] const std::string& guest_socket() const { return guest_socket_; }
    [[nodiscard]] const std::string& consumer_socket() const { return consumer_socket_; }
    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] pid_t pid() const { return child_.pid(); }
    // True while the daemon process has not exited.
    [[nodiscard]] bool alive();
    // SIGTERM; the wait status.
    int stop();

private:
    DaemonProcess() = default;
    std::string dir_, guest_socket_, consumer_socket_;
    ChildProcess child_;
};

} // namespace vdmabuf::harness
