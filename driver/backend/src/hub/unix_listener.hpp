// A listening AF_UNIX socket file for the daemon's two sockets.
#pragma once

#include <string>
#include <vector>

#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::backend {

// socket(type | NONBLOCK | CLOEXEC), removing a stale file at path first, bound
// with the file's mode 0600 from the start, listening. Empty (logged) on failure.
// Also keeps an O_PATH descriptor of the socket's directory, so the file can
// be removed later by unlink_socket() with unlinkat(dirfd, name): the seccomp
// filter allows unlinkat on those directories only.
[[nodiscard]] UniqueFd listen_unix(const std::string& path, int type);

// Removes a socket file made by listen_unix (through its directory fd).
void unlink_socket(const std::string& path);

// The directory descriptors kept by listen_unix, for the seccomp filter.
[[nodiscard]] std::vector<int> socket_dir_fds();

} // namespace vdmabuf::backend
