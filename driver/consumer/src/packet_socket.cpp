#define VDM_LOG_SCOPE "consumer"
#include "packet_socket.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace vdmabuf::consumer {
namespace {

// Room for the most fds a packet may carry; more sets MSG_CTRUNC.
constexpr size_t kCmsgSpace = CMSG_SPACE(sizeof(int) * VDMABUF_CONSUMER_MAX_FDS);

bool poll_for(int fd, short events, int timeout_ms) {
    pollfd pfd{fd, events, 0};
    for (;;) {
        int r = ::poll(&pfd, 1, timeout_ms);
        if (r >= 0)
            return r > 0;
        if (errno != EINTR) {
            VDM_ERRNO("poll(consumer socket) failed");
            return false;
        }
    }
}

} // namespace

PacketSocket::PacketSocket(UniqueFd&& sock)
    : sock_(std::move(sock)), buf_(new uint8_t[VDMABUF_CONSUMER_MAX_MESSAGE]) {
    int flags = ::fcntl(sock_.get(), F_GETFL);
    if (flags < 0 || ::fcntl(sock_.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        VDM_ERRNO("fcntl(O_NONBLOCK) on the consumer socket failed");
}

void PacketSocket::close_fds() noexcept {
    for (size_t i = 0; i < n_fds_; ++i)
        fds_[i].reset();
    n_fds_ = 0;
}

PacketSocket::Recv PacketSocket::receive() {
    close_fds();
    len_ = 0;

    alignas(cmsghdr) unsigned char control[kCmsgSpace];
    iovec iov{buf_.get(), VDMABUF_CONSUMER_MAX_MESSAGE};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;

    ssize_t n;
    do {
        n = ::recvmsg(sock_.get(), &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return Recv::empty;
        VDM_ERRNO("recvmsg(consumer socket) failed");
        return Recv::gone;
    }
    if (n == 0)
        return Recv::gone; // SOCK_SEQPACKET: end of stream

    // Take ownership of every fd that arrived before judging the packet, so
    // none leaks whatever happens next.
    bool too_many = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (n_fds_ < fds_.size()) {
                fds_[n_fds_++].reset(fd);
            } else {
                ::close(fd);
                too_many = true;
            }
        }
    }
    if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || too_many) {
        close_fds();
        return Recv::truncated;
    }
    len_ = static_cast<size_t>(n);
    return Recv::packet;
}

bool PacketSocket::send(const void* data, size_t len, int timeout_ms) {
    const uint64_t deadline = now_ns() + static_cast<uint64_t>(timeout_ms) * 1'000'000u;
    for (;;) {
        ssize_t n = ::send(sock_.get(), data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n == static_cast<ssize_t>(len))
            return true;
        if (n >= 0) {
            VDM_ERROR("send(consumer socket) sent %zd of %zu bytes", n, len);
            return false;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            uint64_t now = now_ns();
            int left = now < deadline ? static_cast<int>((deadline - now + 999'999u) / 1'000'000u) : 0;
            if (left > 0 && poll_for(sock_.get(), POLLOUT, left))
                continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            errno = ETIMEDOUT;
        VDM_ERRNO("send(consumer socket, %zu bytes) failed", len);
        return false;
    }
}

bool PacketSocket::wait_readable(int timeout_ms) const {
    return poll_for(sock_.get(), POLLIN, timeout_ms);
}

} // namespace vdmabuf::consumer
