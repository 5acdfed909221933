// File descriptors passed over a Unix socket (SCM_RIGHTS): the control-message
// setup that every sender of fds would otherwise write again.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <span>

namespace vdmabuf {

// Bytes of control data for a message carrying up to `max_fds` descriptors.
constexpr size_t fd_control_space(size_t max_fds) {
    return CMSG_SPACE(sizeof(int) * max_fds);
}

// Points mh's control data at `control`, filled with one SCM_RIGHTS message
// holding `fds`; with no fds, mh gets no control data. `control` must be
// aligned for cmsghdr; false (mh untouched) if it is smaller than
// fd_control_space(fds.size()).
[[nodiscard]] bool attach_fds(msghdr& mh, std::span<unsigned char> control, std::span<const int> fds);

// One sendmsg (MSG_NOSIGNAL) of `len` bytes with `fds` (at most 64) on them;
// true only if all `len` bytes went. For tests and tools that send raw bytes.
[[nodiscard]] bool send_with_fds(int sock, const void* data, size_t len, std::span<const int> fds = {});

} // namespace vdmabuf
