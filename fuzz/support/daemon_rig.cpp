#include "daemon_rig.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace vdmabuf::fuzz {
namespace vu = virtio::vhost_user;

namespace {

[[noreturn]] void setup_failed(const char* what) {
    // Not a finding: the machine ran out of something. Stop loudly.
    std::fprintf(stderr, "fuzz rig: %s failed\n", what);
    std::abort();
}

} // namespace

DaemonRig::DaemonRig() {
    loop_ = EventLoop::create();
    if (!loop_)
        setup_failed("EventLoop::create");
    backend::HubOptions opts;
    opts.try_udmabuf = false;
    hub_ = backend::ConsumerHub::create(*loop_, opts);
    if (!hub_)
        setup_failed("ConsumerHub::create");

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
        setup_failed("socketpair");
    sock_.reset(sv[0]);
    session_ = backend::GuestSession::create(UniqueFd{sv[1]}, *loop_, *hub_, backend::GuestOptions{8},
                                             [this](backend::GuestSession&) { closed_ = true; });
    if (!session_)
        setup_failed("GuestSession::create");

    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
        setup_failed("socketpair");
    viewer_.reset(sv[0]);
    if (hub_->core().adopt_consumer(UniqueFd{sv[1]}) == 0)
        setup_failed("adopt_consumer");
    vdmabuf_c_hello hello{};
    hello.hdr = {VDMABUF_C_HELLO, sizeof hello, 1};
    hello.magic = VDMABUF_CONSUMER_MAGIC;
    hello.version = VDMABUF_CONSUMER_VERSION;
    hello.role = VDMABUF_ROLE_VIEWER;
    hello.output = VDMABUF_CONSUMER_ANY;
    if (::send(viewer_.get(), &hello, sizeof hello, 0) != sizeof hello)
        setup_failed("viewer HELLO");

    ram_fd_.reset(::memfd_create("fuzz-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!ram_fd_ || ::ftruncate(ram_fd_.get(), kMemSize) != 0 ||
        ::fcntl(ram_fd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        setup_failed("guest RAM memfd");
    ram_ = virtio::MemoryMapping::map_shared(ram_fd_.get(), kMemSize);
    if (!ram_)
        setup_failed("guest RAM mmap");
    for (int i = 0; i < 2; ++i) {
        kick_[i].reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        call_[i].reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!kick_[i] || !call_[i])
            setup_failed("eventfd");
    }
    pump();
}

DaemonRig::~DaemonRig() {
    // As vdmabufd does on exit: the session goes first, then the hub.
    session_.reset();
    hub_.reset();
}

bool DaemonRig::send_raw(std::span<const uint8_t> bytes, std::span<const int> fds) {
    if (closed_)
        return false;
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * vu::kMaxFds)]{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty() && !bytes.empty()) {
        const size_t n = std::min<size_t>(fds.size(), vu::kMaxFds);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        cmsghdr* cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
        std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * n);
    }
    size_t sent = 0;
    while (sent < bytes.size() && !closed_) {
        const ssize_t n = ::sendmsg(sock_.get(), &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN)
                return false;
            pump(); // the daemon reads; our buffer drains
            continue;
        }
        sent += static_cast<size_t>(n);
        iov.iov_base = const_cast<uint8_t*>(bytes.data()) + sent;
        iov.iov_len = bytes.size() - sent;
        msg.msg_control = nullptr; // fds go with the first byte only
        msg.msg_controllen = 0;
    }
    pump();
    return sent == bytes.size();
}

bool DaemonRig::send(uint32_t request, uint32_t flags, const void* payload, uint32_t size,
                     std::span<const int> fds) {
    std::vector<uint8_t> bytes(sizeof(vu::Header) + size);
    const vu::Header hdr{request, flags, size};
    std::memcpy(bytes.data(), &hdr, sizeof hdr);
    if (size)
        std::memcpy(bytes.data() + sizeof hdr, payload, size);
    return send_raw(bytes, fds);
}

bool DaemonRig::reply_u64(uint64_t& value) {
    pump();
    constexpr size_t kLen = sizeof(vu::Header) + sizeof(uint64_t);
    if (replies_.size() < kLen)
        return false;
    vu::Header hdr;
    std::memcpy(&hdr, replies_.data(), sizeof hdr);
    const size_t total = sizeof hdr + hdr.size;
    if (hdr.size != sizeof value || replies_.size() < total)
        std::abort(); // the daemon framed a reply wrongly: a finding
    std::memcpy(&value, replies_.data() + sizeof hdr, sizeof value);
    replies_.erase(replies_.begin(), replies_.begin() + static_cast<long>(total));
    return true;
}

void DaemonRig::kick(uint32_t q) {
    const uint64_t one = 1;
    if (::write(kick_[q & 1].get(), &one, sizeof one) != sizeof one)
        setup_failed("kick");
    pump();
}

void DaemonRig::pump() {
    for (int round = 0; round < 64; ++round) {
        const int ran = loop_->dispatch(0);
        uint8_t buf[4096];
        bool read_any = false;
        for (;;) {
            const ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0)
                break;
            read_any = true;
            if (replies_.size() < 65536)
                replies_.insert(replies_.end(), buf, buf + n);
        }
        drain_viewer();
        if (ran <= 0 && !read_any)
            break;
    }
    uint64_t count;
    for (auto& fd : call_)
        (void)!::read(fd.get(), &count, sizeof count);
}

void DaemonRig::drain_viewer() {
    alignas(8) uint8_t pkt[VDMABUF_CONSUMER_MAX_MESSAGE];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * VDMABUF_CONSUMER_MAX_FDS)];
    for (;;) {
        iovec iov{pkt, sizeof pkt};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(viewer_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n <= 0)
            return;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                ::close(fd);
            }
        }
        vdmabuf_c_present p{};
        std::memcpy(&p, pkt, std::min(sizeof p, static_cast<size_t>(n)));
        if (static_cast<size_t>(n) >= sizeof p.hdr && p.hdr.type == VDMABUF_C_PRESENT &&
            held_.size() < 1024)
            held_.push_back({p.id, p.sequence});
    }
}

void DaemonRig::release_all() {
    for (const Held& h : held_) {
        vdmabuf_c_release r{};
        r.hdr = {VDMABUF_C_RELEASE, sizeof r, 2};
        r.id = h.id;
        r.sequence = h.sequence;
        (void)::send(viewer_.get(), &r, sizeof r, MSG_DONTWAIT);
    }
    held_.clear();
    pump();
}

} // namespace vdmabuf::fuzz
