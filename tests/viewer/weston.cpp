#include "weston.hpp"

#include <csignal>
#include <filesystem>
#include <unistd.h>

namespace vdmabuf::viewer_test {

bool Weston::start(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    char tmpl[] = "/tmp/vdmabuf-weston-XXXXXX";
    if (!mkdtemp(tmpl)) // mkdtemp makes it 0700
        return false;
    dir_ = tmpl;
    socket_ = "vdmabuf-test-" + std::to_string(getpid());
    std::vector<std::string> argv = {"/usr/bin/env", "XDG_RUNTIME_DIR=" + dir_};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(),
                {kWestonPath, "--socket=" + socket_, "--no-config", "--idle-time=0"});
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = ChildProcess::spawn(argv); // env execs weston: the pid is weston's
    for (int i = 0; i < 200 && proc_; ++i) { // 10 s
        if (access((dir_ + "/" + socket_).c_str(), F_OK) == 0)
            return true;
        if (proc_.exited())
            return false;
        usleep(50000);
    }
    return false;
}

Weston::~Weston() {
    proc_.stop(SIGTERM, 3000);
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
}

} // namespace vdmabuf::viewer_test
