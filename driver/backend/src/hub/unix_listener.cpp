#define VDM_LOG_SCOPE "listen"
#include "hub/unix_listener.hpp"

#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::backend {

UniqueFd listen_unix(const std::string& path, int type) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
        VDM_ERROR("socket path empty or too long: %s", path.c_str());
        return {};
    }
    UniqueFd fd{::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (!fd) {
        VDM_ERRNO("socket(AF_UNIX) failed");
        return {};
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // A leftover file from a crashed daemon would make bind() fail with EADDRINUSE.
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && ::unlink(path.c_str()) == 0)
        VDM_INFO("removed stale socket %s", path.c_str());
    // umask, so the file is never briefly wider than 0600 (single-threaded here).
    mode_t old = ::umask(0177);
    int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    ::umask(old);
    if (rc != 0) {
        VDM_ERRNO("bind(%s) failed", path.c_str());
        return {};
    }
    if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 16) != 0) {
        VDM_ERRNO("chmod/listen(%s) failed", path.c_str());
        ::unlink(path.c_str());
        return {};
    }
    return fd;
}

} // namespace vdmabuf::backend
