// A listening AF_UNIX socket file for the daemon's two sockets.
#pragma once

#include <string>

#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::backend {

// socket(type | NONBLOCK | CLOEXEC), removing a stale file at path first, bound
// with the file's mode 0600 from the start, listening. Empty (logged) on failure.
[[nodiscard]] UniqueFd listen_unix(const std::string& path, int type);

} // namespace vdmabuf::backend
