#define VDM_LOG_SCOPE "virtio"
#include <vdmabuf/virtio/vhost_user.hpp>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/scm_rights.hpp>

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace vdmabuf::virtio::vhost_user {
namespace {

// How long to wait for the rest of a message that has started arriving.
constexpr int kRestOfMessageTimeoutMs = 2000;
constexpr size_t kCmsgSpace = CMSG_SPACE(sizeof(int) * kMaxFds);

bool wait_for(int sock, short events) {
    pollfd pfd{sock, events, 0};
    for (;;) {
        int r = ::poll(&pfd, 1, kRestOfMessageTimeoutMs);
        if (r > 0)
            return true;
        if (r == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        if (errno != EINTR)
            return false;
    }
}

// Takes the SCM_RIGHTS fds of one recvmsg into msg; true if some had to be closed.
bool collect_fds(msghdr& mh, Message& msg) {
    bool overflow = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char* data = CMSG_DATA(c);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, data + i * sizeof(int), sizeof fd);
            if (msg.nfds < kMaxFds) {
                msg.fds[msg.nfds++].reset(fd);
            } else {
                ::close(fd);
                overflow = true;
            }
        }
    }
    return overflow;
}

} // namespace

const char* request_name(uint32_t request) {
    switch (static_cast<Request>(request)) {
    case Request::none:
        return "NONE";
    case Request::get_features:
        return "GET_FEATURES";
    case Request::set_features:
        return "SET_FEATURES";
    case Request::set_owner:
        return "SET_OWNER";
    case Request::reset_owner:
        return "RESET_OWNER";
    case Request::set_mem_table:
        return "SET_MEM_TABLE";
    case Request::set_log_base:
        return "SET_LOG_BASE";
    case Request::set_log_fd:
        return "SET_LOG_FD";
    case Request::set_vring_num:
        return "SET_VRING_NUM";
    case Request::set_vring_addr:
        return "SET_VRING_ADDR";
    case Request::set_vring_base:
        return "SET_VRING_BASE";
    case Request::get_vring_base:
        return "GET_VRING_BASE";
    case Request::set_vring_kick:
        return "SET_VRING_KICK";
    case Request::set_vring_call:
        return "SET_VRING_CALL";
    case Request::set_vring_err:
        return "SET_VRING_ERR";
    case Request::get_protocol_features:
        return "GET_PROTOCOL_FEATURES";
    case Request::set_protocol_features:
        return "SET_PROTOCOL_FEATURES";
    case Request::get_queue_num:
        return "GET_QUEUE_NUM";
    case Request::set_vring_enable:
        return "SET_VRING_ENABLE";
    case Request::send_rarp:
        return "SEND_RARP";
    case Request::net_set_mtu:
        return "NET_SET_MTU";
    case Request::set_backend_req_fd:
        return "SET_BACKEND_REQ_FD";
    case Request::iotlb_msg:
        return "IOTLB_MSG";
    case Request::set_vring_endian:
        return "SET_VRING_ENDIAN";
    case Request::get_config:
        return "GET_CONFIG";
    case Request::set_config:
        return "SET_CONFIG";
    case Request::reset_device:
        return "RESET_DEVICE";
    case Request::get_max_mem_slots:
        return "GET_MAX_MEM_SLOTS";
    case Request::add_mem_reg:
        return "ADD_MEM_REG";
    case Request::rem_mem_reg:
        return "REM_MEM_REG";
    case Request::set_status:
        return "SET_STATUS";
    case Request::get_status:
        return "GET_STATUS";
    }
    return "unknown";
}

const char* recv_status_name(RecvStatus status) {
    switch (status) {
    case RecvStatus::ok:
        return "ok";
    case RecvStatus::closed:
        return "closed";
    case RecvStatus::malformed:
        return "malformed";
    case RecvStatus::io_error:
        return "io_error";
    case RecvStatus::would_block:
        return "would_block";
    }
    return "?";
}

RecvStatus MessageReader::finish(Message& msg, RecvStatus status) {
    if (status != RecvStatus::ok)
        msg.clear_fds();
    got_ = 0;
    fd_overflow_ = ctrunc_ = false;
    return status;
}

RecvStatus MessageReader::read(int sock, Message& msg) {
    if (got_ == 0) {
        msg.clear_fds();
        msg.hdr = {};
    }
    constexpr size_t kHeader = sizeof(Header);
    for (;;) {
        uint8_t* dst = nullptr;
        size_t want = 0;
        if (got_ < kHeader) {
            dst = reinterpret_cast<uint8_t*>(&msg.hdr) + got_;
            want = kHeader - got_;
        } else if (got_ - kHeader < msg.hdr.size) {
            dst = msg.payload + (got_ - kHeader);
            want = msg.hdr.size - (got_ - kHeader);
        } else {
            break; // complete
        }
        iovec iov{dst, want};
        alignas(cmsghdr) unsigned char cbuf[kCmsgSpace];
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        ssize_t n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return RecvStatus::would_block; // keep what arrived so far
            VDM_ERRNO("vhost-user: recvmsg");
            return finish(msg, RecvStatus::io_error);
        }
        if (n == 0) {
            if (got_ == 0)
                return finish(msg, RecvStatus::closed);
            if (got_ < kHeader)
                VDM_WARN("vhost-user: peer closed mid-header (%zu of %zu bytes)", got_, kHeader);
            else
                VDM_WARN("vhost-user: %s: peer closed mid-payload (%zu of %u bytes)",
                         request_name(msg.hdr.request), got_ - kHeader, msg.hdr.size);
            return finish(msg, RecvStatus::malformed);
        }
        if (mh.msg_flags & MSG_CTRUNC)
            ctrunc_ = true;
        if (collect_fds(mh, msg))
            fd_overflow_ = true;
        const bool header_done = got_ < kHeader && got_ + static_cast<size_t>(n) >= kHeader;
        got_ += static_cast<size_t>(n);
        if (header_done) {
            if ((msg.hdr.flags & kVersionMask) != kVersion) {
                VDM_WARN("vhost-user: %s (%u): bad version flags 0x%x",
                         request_name(msg.hdr.request), msg.hdr.request, msg.hdr.flags);
                return finish(msg, RecvStatus::malformed);
            }
            if (msg.hdr.size > kMaxPayload) {
                VDM_WARN("vhost-user: %s (%u): payload size %u exceeds %u",
                         request_name(msg.hdr.request), msg.hdr.request, msg.hdr.size, kMaxPayload);
                return finish(msg, RecvStatus::malformed);
            }
        }
    }
    if (ctrunc_ || fd_overflow_) {
        VDM_WARN("vhost-user: %s: too many fds (ancillary data truncated)",
                 request_name(msg.hdr.request));
        return finish(msg, RecvStatus::malformed);
    }
    return finish(msg, RecvStatus::ok);
}

RecvStatus recv_message(int sock, Message& msg) {
    MessageReader reader;
    for (;;) {
        const RecvStatus st = reader.read(sock, msg);
        if (st != RecvStatus::would_block)
            return st;
        if (!reader.partial())
            return st; // nothing of a new message yet
        // Non-blocking (or SO_RCVTIMEO) socket in the middle of a message: wait,
        // bounded, for the rest.
        if (!wait_for(sock, POLLIN)) {
            VDM_ERRNO("vhost-user: %s: rest of message", request_name(msg.hdr.request));
            msg.clear_fds();
            return RecvStatus::io_error;
        }
    }
}

bool send_message(int sock, const Header& hdr, const void* payload, std::span<const int> fds,
                  bool may_wait) {
    if (hdr.size > kMaxPayload || (hdr.size > 0 && payload == nullptr) || fds.size() > kMaxFds) {
        VDM_ERROR("vhost-user: send %s: invalid message (size %u, %zu fds)",
                  request_name(hdr.request), hdr.size, fds.size());
        return false;
    }

    iovec iov[2] = {
        {const_cast<Header*>(&hdr), sizeof hdr},
        {const_cast<void*>(payload), hdr.size},
    };
    alignas(cmsghdr) unsigned char cbuf[kCmsgSpace];
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = hdr.size > 0 ? 2 : 1;
    if (!attach_fds(mh, cbuf, fds))
        return false; // not reached: fds.size() <= kMaxFds was checked

    size_t remaining = sizeof hdr + hdr.size;
    while (remaining > 0) {
        ssize_t n = ::sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && may_wait && wait_for(sock, POLLOUT))
                continue;
            VDM_ERRNO("vhost-user: sendmsg %s", request_name(hdr.request));
            return false;
        }
        remaining -= static_cast<size_t>(n);
        // The fds went with the first byte; advance past what was written.
        mh.msg_control = nullptr;
        mh.msg_controllen = 0;
        size_t done = static_cast<size_t>(n);
        while (mh.msg_iovlen > 0 && done >= mh.msg_iov[0].iov_len) {
            done -= mh.msg_iov[0].iov_len;
            ++mh.msg_iov;
            --mh.msg_iovlen;
        }
        if (mh.msg_iovlen > 0) {
            mh.msg_iov[0].iov_base = static_cast<uint8_t*>(mh.msg_iov[0].iov_base) + done;
            mh.msg_iov[0].iov_len -= done;
        }
    }
    return true;
}

bool send_reply_u64(int sock, uint32_t request, uint64_t value, bool may_wait) {
    Header hdr{request, kVersion | kFlagReply, sizeof value};
    return send_message(sock, hdr, &value, {}, may_wait);
}

bool parse_memory_table(const Message& msg, MemoryTable& out) {
    out = {};
    if (msg.hdr.size < kMemoryTableHeaderSize) {
        VDM_WARN("vhost-user: SET_MEM_TABLE: payload too short (%u)", msg.hdr.size);
        return false;
    }
    std::memcpy(&out, msg.payload, kMemoryTableHeaderSize);
    if (out.nregions > kMaxMemRegions) {
        VDM_WARN("vhost-user: SET_MEM_TABLE: %u regions (max %u)", out.nregions, kMaxMemRegions);
        out = {};
        return false;
    }
    size_t need = kMemoryTableHeaderSize + out.nregions * sizeof(MemoryRegion);
    if (msg.hdr.size < need) {
        VDM_WARN("vhost-user: SET_MEM_TABLE: payload %u too short for %u regions", msg.hdr.size,
                 out.nregions);
        out = {};
        return false;
    }
    if (msg.nfds != out.nregions) {
        VDM_WARN("vhost-user: SET_MEM_TABLE: %u regions but %u fds", out.nregions, msg.nfds);
        out = {};
        return false;
    }
    std::memcpy(out.regions, msg.payload + kMemoryTableHeaderSize,
                out.nregions * sizeof(MemoryRegion));
    return true;
}

} // namespace vdmabuf::virtio::vhost_user
