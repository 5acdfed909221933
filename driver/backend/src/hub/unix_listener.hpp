// A listening AF_UNIX socket file for the daemon's two sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::backend {

// socket(type | NONBLOCK | CLOEXEC), removing a stale file at path first (one
// that refuses connections: a socket a live process accepts on is an error,
// logged with that process's pid), bound
// with the file's mode 0600 from the start, listening. Empty (logged) on failure.
// Also keeps an O_PATH descriptor of the socket's directory, so the file can
// be removed later by unlink_socket() with unlinkat(dirfd, name): the seccomp
// filter allows unlinkat on those directories only.
[[nodiscard]] UniqueFd listen_unix(const std::string& path, int type);

// Removes a socket file made by listen_unix (through its directory fd).
void unlink_socket(const std::string& path);

// The directory descriptors kept by listen_unix, for the seccomp filter.
[[nodiscard]] std::vector<int> socket_dir_fds();

// Call when accept4() on listen_fd failed with errno err. For a resource limit
// (EMFILE, ENFILE, ENOBUFS, ENOMEM) the pending connection stays readable, so
// level-triggered epoll would spin (and log) until an fd frees up: this stops
// watching listen_fd and runs resume() after 100 ms (it should watch the listener
// again if it is still open). Logs the first pause and every 100th; `pauses`
// counts them. True when it paused; false for any other error (not logged).
bool pause_on_resource_limit(EventLoop& loop, int listen_fd, int err, const char* what,
                             uint64_t& pauses, std::function<void()> resume);

} // namespace vdmabuf::backend
