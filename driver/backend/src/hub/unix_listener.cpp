#define VDM_LOG_SCOPE "listen"
#include "hub/unix_listener.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::backend {
namespace {

// Socket path -> O_PATH descriptor of its directory. Two entries at most.
std::map<std::string, UniqueFd>& socket_dirs() {
    static std::map<std::string, UniqueFd> dirs;
    return dirs;
}

std::string base_name(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// The name of process `pid` from /proc (e.g. "vdmabufd"), or "?".
std::string process_name(pid_t pid) {
    char file[64];
    std::snprintf(file, sizeof file, "/proc/%d/comm", int(pid));
    UniqueFd fd{::open(file, O_RDONLY | O_CLOEXEC)};
    char name[64] = {};
    ssize_t n = fd ? ::read(fd.get(), name, sizeof name - 1) : -1;
    if (n <= 0)
        return "?";
    std::string s(name, size_t(n));
    while (!s.empty() && s.back() == '\n')
        s.pop_back();
    return s;
}

// True (logged) when a process accepts connections on the socket at addr:
// connect() succeeds, or fails other than with ECONNREFUSED (nobody listens)
// or ENOENT (EAGAIN: a full backlog, so alive). The peer is named by its pid (SO_PEERCRED) so the user can find it.
bool socket_in_use(const sockaddr_un& addr, int type) {
    UniqueFd probe{::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (!probe)
        return false; // bind() will say what is wrong
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        if (errno == ECONNREFUSED || errno == ENOENT)
            return false;
        VDM_ERRNO("socket %s exists and connect() to it failed; not replacing it", addr.sun_path);
        return true;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(probe.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0)
        VDM_ERROR("socket %s is in use by a running %s (pid %d); not taking it over "
                  "(stop that one first, or pick other socket paths)",
                  addr.sun_path, process_name(cred.pid).c_str(), int(cred.pid));
    else
        VDM_ERROR("socket %s is in use by a running process; not taking it over", addr.sun_path);
    return true;
}

} // namespace

void unlink_socket(const std::string& path) {
    auto& dirs = socket_dirs();
    auto it = dirs.find(path);
    if (it == dirs.end())
        return;
    if (::unlinkat(it->second.get(), base_name(path).c_str(), 0) != 0 && errno != ENOENT)
        VDM_ERRNO("unlink(%s) failed", path.c_str());
    dirs.erase(it);
}

std::vector<int> socket_dir_fds() {
    std::vector<int> fds;
    for (const auto& [path, fd] : socket_dirs())
        fds.push_back(fd.get());
    return fds;
}

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
    // Only a socket nobody accepts on is stale: a running daemon's is left alone.
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
        if (socket_in_use(addr, type))
            return {};
        if (::unlink(path.c_str()) == 0)
            VDM_INFO("removed stale socket %s", path.c_str());
    }
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
    UniqueFd dir{::open(dir_name(path).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
    if (!dir) {
        VDM_ERRNO("open(%s) failed", dir_name(path).c_str());
        ::unlink(path.c_str());
        return {};
    }
    socket_dirs()[path] = std::move(dir);
    return fd;
}

bool pause_on_resource_limit(EventLoop& loop, int listen_fd, int err, const char* what,
                             uint64_t& pauses, std::function<void()> resume) {
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
        return false;
    ++pauses;
    if (pauses == 1 || pauses % 100 == 0)
        VDM_WARN("accept on the %s socket: %s; not accepting for 100 ms (%llu pauses so far)",
                 what, std::strerror(err), static_cast<unsigned long long>(pauses));
    loop.remove(listen_fd);
    loop.add_timer_ms(100, std::move(resume));
    return true;
}

} // namespace vdmabuf::backend
