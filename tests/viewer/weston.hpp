// A private weston 10 on its own socket in a private XDG_RUNTIME_DIR
// (libwayland wants 0700), for the viewer's Wayland window tests: headless
// (tests/viewer) or nested in Xvfb with the x11 backend (tests/window).
#pragma once

#include <string>
#include <vector>

#include <vdmabuf/shared/child_process.hpp>

namespace vdmabuf::viewer_test {

inline constexpr const char* kWestonPath = "/usr/bin/weston";

class Weston {
public:
    Weston() = default;
    ~Weston();
    Weston(const Weston&) = delete;
    Weston& operator=(const Weston&) = delete;

    // Runs weston --socket=... --no-config --idle-time=0 `args` with `env`
    // (NAME=value) added, polling until its socket exists; false after 10 s
    // or if it exits.
    [[nodiscard]] bool start(const std::vector<std::string>& args,
                             const std::vector<std::string>& env = {});
    [[nodiscard]] const std::string& socket() const { return socket_; }
    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] ChildProcess& process() { return proc_; }

private:
    ChildProcess proc_;
    std::string dir_, socket_;
};

} // namespace vdmabuf::viewer_test
