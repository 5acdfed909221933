#define VDM_LOG_SCOPE "harness"
#include "daemon_process.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <signal.h>

namespace vdmabuf::harness {

std::string vdmabufd_path() {
    const char* env = getenv("VDMABUFD");
    return env && *env ? env : VDMABUF_VDMABUFD_PATH;
}

std::string vdmabufctl_path() {
    const char* env = getenv("VDMABUFCTL");
    return env && *env ? env : VDMABUF_VDMABUFCTL_PATH;
}

std::unique_ptr<DaemonProcess> DaemonProcess::start(std::vector<std::string> extra_args,
                                                    bool log_to_file) {
    std::unique_ptr<DaemonProcess> d(new DaemonProcess);
    char tmpl[] = "/tmp/vdmabuf-run-XXXXXX";
    if (!mkdtemp(tmpl)) {
        VDM_ERRNO("mkdtemp failed");
        return nullptr;
    }
    d->dir_ = tmpl;
    d->guest_socket_ = d->dir_ + "/guest.sock";
    d->consumer_socket_ = d->dir_ + "/consumer.sock";
    d->extra_args_ = std::move(extra_args);
    if (log_to_file)
        d->log_path_ = d->dir_ + "/vdmabufd.log";
    if (!d->spawn())
        return nullptr;
    return d;
}

bool DaemonProcess::spawn() {
    std::vector<std::string> argv{vdmabufd_path(), "--guest-socket", guest_socket_,
                                  "--consumer-socket", consumer_socket_};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    UniqueFd log;
    if (!log_path_.empty()) {
        log = UniqueFd{::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)};
        if (!log) {
            VDM_ERRNO("open(%s) failed", log_path_.c_str());
            return false;
        }
    }
    child_ = ChildProcess::spawn(argv, log.get());
    if (!child_ || !child_.wait_for_line("vdmabufd: ready", 5000)) {
        VDM_ERROR("%s did not become ready", argv[0].c_str());
        return false;
    }
    return true;
}

bool DaemonProcess::restart() {
    stop();
    return spawn();
}

bool DaemonProcess::alive() { return !child_.exited(); }

int DaemonProcess::stop(int signo) { return child_.stop(signo, 3000); }

DaemonProcess::~DaemonProcess() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

} // namespace vdmabuf::harness
