#include <vdmabuf/shared/scm_rights.hpp>

#include <sys/uio.h>

#include <cstring>

namespace vdmabuf {

bool attach_fds(msghdr& mh, std::span<unsigned char> control, std::span<const int> fds) {
    if (fds.empty()) {
        mh.msg_control = nullptr;
        mh.msg_controllen = 0;
        return true;
    }
    const size_t space = fd_control_space(fds.size());
    if (control.size() < space)
        return false;
    std::memset(control.data(), 0, space);
    mh.msg_control = control.data();
    mh.msg_controllen = space;
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    return true;
}

bool send_with_fds(int sock, const void* data, size_t len, std::span<const int> fds) {
    iovec iov{const_cast<void*>(data), len};
    alignas(cmsghdr) unsigned char control[fd_control_space(64)];
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (!attach_fds(mh, control, fds))
        return false;
    return ::sendmsg(sock, &mh, MSG_NOSIGNAL) == static_cast<ssize_t>(len);
}

} // namespace vdmabuf
