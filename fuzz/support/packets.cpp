#include "packets.hpp"

#include <vdmabuf_consumer.h>

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace vdmabuf::fuzz {

bool seqpacket_pair(UniqueFd& a, UniqueFd& b) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
        return false;
    a.reset(sv[0]);
    b.reset(sv[1]);
    return true;
}

bool send_packet(int sock, std::span<const uint8_t> bytes, unsigned nfds) {
    nfds = std::min<unsigned>(nfds, VDMABUF_CONSUMER_MAX_FDS + 1);
    std::vector<UniqueFd> owned;
    std::vector<int> fds;
    for (unsigned i = 0; i < nfds; ++i) {
        UniqueFd fd{::memfd_create("fuzz-extent", MFD_CLOEXEC)};
        if (!fd || ::ftruncate(fd.get(), 64 * 1024) != 0)
            return false;
        fds.push_back(fd.get());
        owned.push_back(std::move(fd));
    }
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * (VDMABUF_CONSUMER_MAX_FDS + 1))]{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty()) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
    }
    return ::sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(bytes.size());
}

size_t drain_packets(int sock) {
    static uint8_t buf[VDMABUF_CONSUMER_MAX_MESSAGE];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * (VDMABUF_CONSUMER_MAX_FDS + 1))];
    size_t count = 0;
    for (;;) {
        iovec iov{buf, sizeof buf};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
            return count; // nothing waiting, or the peer hung up
        ++count;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                ::close(fd);
            }
        }
    }
}

} // namespace vdmabuf::fuzz
