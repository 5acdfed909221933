#define VDM_LOG_SCOPE "consumer"
#include "hub/consumer_connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <poll.h>
#include <sys/epoll.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::backend {

namespace {

// Largest request is HELLO (72 bytes); anything bigger is malformed, and
// MSG_TRUNC tells us so without reading the rest.
constexpr size_t kRecvBuffer = 256;
// Packets read per wakeup, so one chatty consumer cannot starve the others.
constexpr int kReadBudget = 64;

// A consumer more than kBehindBytes behind (unread in its socket, SIOCOUTQ)
// gets no further PRESENT written: it waits in our queue, where a newer one
// replaces it (COALESCED) and the guest gets the older back at once. Without
// this, a consumer that stopped reading would hold every PRESENT the socket
// buffer takes (~200 KiB, some 190) until the release timeout. While behind,
// the send buffer is shrunk so EPOLLOUT fires only once it has read nearly
// everything; larger packets (STATS, IMPORT_REPLY) raise it for their send.
constexpr int kBehindBytes = 8192;
constexpr int kSmallSendBuffer = 4096; // the kernel doubles it
constexpr int kLargeSendBuffer = int(VDMABUF_CONSUMER_MAX_MESSAGE) + 4096;
constexpr size_t kSmallPacket = 1024;

} // namespace

std::unique_ptr<ConsumerConnection> ConsumerConnection::create(UniqueFd&& fd, uint32_t id,
                                                               unsigned slot, EventLoop& loop,
                                                               Owner& owner,
                                                               const Holders& holders) {
    int raw = fd.get();
    std::unique_ptr<ConsumerConnection> c{
        new ConsumerConnection(std::move(fd), id, slot, loop, owner, holders)};
    ConsumerConnection* self = c.get();
    if (!loop.add(raw, EPOLLIN, [self](uint32_t ev) { self->on_events(ev); }))
        return nullptr;
    return c;
}

ConsumerConnection::ConsumerConnection(UniqueFd&& fd, uint32_t id, unsigned slot, EventLoop& loop,
                                       Owner& owner, const Holders& holders)
    : fd_(std::move(fd)), id_(id), slot_(slot), loop_(loop), owner_(owner), holders_(holders) {
    outputs_.reserve(32);
    cursors_.reserve(32);
    int size = 0;
    socklen_t len = sizeof size;
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUF, &size, &len) == 0)
        normal_send_buffer_ = size / 2; // reported doubled
}

bool ConsumerConnection::behind() {
    int unread = 0;
    if (::ioctl(fd_.get(), SIOCOUTQ, &unread) != 0 || unread <= kBehindBytes)
        return false;
    if (!throttled_) {
        throttled_ = true;
        set_send_buffer(kSmallSendBuffer);
    }
    return true;
}

void ConsumerConnection::set_send_buffer(int bytes) {
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) != 0)
        VDM_ERRNO("consumer %u: setsockopt(SO_SNDBUF, %d)", id_, bytes);
}

ConsumerConnection::~ConsumerConnection() {
    loop_.remove(fd_.get());
}

bool ConsumerConnection::watches_guest(const std::string& name) const {
    return guest_name_.empty() || guest_name_ == name;
}

bool ConsumerConnection::watches(const std::string& guest_name, uint32_t output) const {
    return watches_guest(guest_name) && (output_ == VDMABUF_CONSUMER_ANY || output_ == output);
}

void ConsumerConnection::mark_broken(const char* why) {
    if (broken_)
        return;
    broken_ = true;
    VDM_DEBUG("consumer %u: %s", id_, why);
    loop_.remove(fd_.get());
    owner_.on_broken(*this);
}

void ConsumerConnection::on_events(uint32_t events) {
    if (broken_)
        return;
    if (events & EPOLLOUT)
        flush();
    if (!broken_ && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        read_packets();
}

bool ConsumerConnection::peer_closed() const {
    pollfd p{fd_.get(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) != 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

void ConsumerConnection::read_packets() {
    for (int budget = kReadBudget; budget > 0 && !broken_; --budget) {
        alignas(8) uint8_t buf[kRecvBuffer];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * VDMABUF_CONSUMER_MAX_FDS)];
        iovec iov{buf, sizeof(buf)};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            mark_broken(errno == ECONNRESET ? "connection reset" : "recvmsg failed");
            return;
        }
        // 0 is end-of-file, or an empty packet from a peer still there (an error
        // reply, as for any other malformed packet).
        if (n == 0 && peer_closed()) {
            mark_broken("closed by peer");
            return;
        }
        // Consumers never send fds; close any that came along.
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfds; ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    ::close(fd);
                }
            }
        }
        bool truncated = (msg.msg_flags & MSG_TRUNC) || static_cast<size_t>(n) > sizeof(buf);
        handle_packet(buf, std::min(static_cast<size_t>(n), sizeof(buf)),
                      truncated);
    }
}

void ConsumerConnection::protocol_error(uint64_t tag, uint32_t request, uint32_t code,
                                        const char* what) {
    // One warning per connection; the rest at debug, all counted by the owner.
    if (!warned_) {
        VDM_WARN("consumer %u: %s (request 0x%x): error %u", id_, what, request, code);
        warned_ = true;
    } else {
        VDM_DEBUG("consumer %u: %s (request 0x%x): error %u", id_, what, request, code);
    }
    send_error(tag, request, code);
}

void ConsumerConnection::send_error(uint64_t tag, uint32_t request, uint32_t code) {
    vdmabuf_c_error e{};
    e.hdr.type = VDMABUF_C_ERROR;
    e.hdr.size = sizeof(e);
    e.hdr.tag = tag;
    e.request = request;
    e.code = code;
    send(&e, sizeof(e));
    owner_.on_error(*this, code);
}

int ConsumerConnection::send_packet(const void* data, size_t len, std::span<const int> fds) {
    iovec iov{const_cast<void*>(data), len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * VDMABUF_CONSUMER_MAX_FDS)];
    if (!fds.empty()) {
        size_t n = std::min<size_t>(fds.size(), VDMABUF_CONSUMER_MAX_FDS);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * n);
    }
    const bool large = throttled_ && len > kSmallPacket;
    if (large)
        set_send_buffer(kLargeSendBuffer);
    int err = 0;
    for (;;) {
        if (::sendmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            break;
        if (errno == EINTR)
            continue;
        err = errno == EWOULDBLOCK ? EAGAIN : errno;
        break;
    }
    if (large)
        set_send_buffer(kSmallSendBuffer);
    return err;
}

void ConsumerConnection::send_failed(int err) {
    // A consumer that hung up mid-stream is an ordinary disconnect.
    if (err == EPIPE || err == ECONNRESET) {
        mark_broken("closed by peer");
        return;
    }
    errno = err;
    VDM_ERRNO("consumer %u: sendmsg failed", id_);
    mark_broken("send failed");
}

void ConsumerConnection::send(const void* data, size_t len, std::span<const int> fds) {
    if (broken_)
        return;
    if (queue_.empty()) {
        int err = send_packet(data, len, fds);
        if (err == 0)
            return;
        if (err != EAGAIN) {
            send_failed(err);
            return;
        }
    }
    if (!queue_.push_bytes(data, len, fds)) {
        VDM_WARN("consumer %u: outbound queue full (%zu entries), disconnecting", id_,
                 queue_.size());
        mark_broken("outbound queue full");
        return;
    }
    want_writable(true);
}

ConsumerConnection::OutputState& ConsumerConnection::output_state(uint32_t guest,
                                                                  uint32_t output) {
    for (OutputState& s : outputs_)
        if (s.guest == guest && s.output == output)
            return s;
    // Once per (guest, output) for the connection's life, not per frame.
    outputs_.push_back({guest, output, kNoRecord, 0});
    return outputs_.back();
}

int ConsumerConnection::send_present(uint32_t record, OutputState& st) {
    const Presentation& p = holders_.at(record).p;
    vdmabuf_c_present m{};
    m.hdr.type = VDMABUF_C_PRESENT;
    m.hdr.size = sizeof(m);
    m.id = p.id.to_wire();
    m.output = p.output;
    m.n_damage = p.n_damage;
    m.sequence = p.sequence;
    m.guest_time_ns = p.guest_time_ns;
    m.host_time_ns = p.host_time_ns;
    m.flags = st.dropped ? VDMABUF_C_PRESENT_COALESCED : 0;
    m.dropped = st.dropped;
    for (uint32_t i = 0; i < p.n_damage && i < VDMABUF_MAX_DAMAGE; ++i)
        m.damage[i] = p.damage[i];
    int err = send_packet(&m, sizeof(m), {});
    if (err == 0) {
        st.dropped = 0;
        st.queued = kNoRecord;
    }
    return err;
}

uint32_t ConsumerConnection::push_present(uint32_t record) {
    if (broken_)
        return kNoRecord;
    const Presentation& p = holders_.at(record).p;
    OutputState& st = output_state(p.id.guest, p.output);
    if (st.queued != kNoRecord) {
        uint32_t old = std::exchange(st.queued, record);
        ++st.dropped;
        if (!queue_.replace_last_present(old, record)) {
            queue_.cancel_present(old);
            if (!queue_.push_present(record)) {
                st.queued = kNoRecord;
                mark_broken("outbound queue full");
            }
        }
        return old;
    }
    if (queue_.empty()) {
        int err = behind() ? EAGAIN : send_present(record, st);
        if (err == 0) {
            owner_.on_delivered(*this, record);
            return kNoRecord;
        }
        if (err != EAGAIN) {
            send_failed(err);
            return kNoRecord;
        }
    }
    if (!queue_.push_present(record)) {
        VDM_WARN("consumer %u: outbound queue full, disconnecting", id_);
        mark_broken("outbound queue full");
        return kNoRecord;
    }
    st.queued = record;
    want_writable(true);
    return kNoRecord;
}

void ConsumerConnection::cancel_present(uint32_t record) {
    for (OutputState& s : outputs_) {
        if (s.queued == record) {
            s.queued = kNoRecord;
            queue_.cancel_present(record);
        }
    }
}

void ConsumerConnection::forget_guest(uint32_t guest) {
    std::erase_if(outputs_, [guest](const OutputState& s) { return s.guest == guest; });
    for (uint32_t i = 0; i < cursors_.size(); ++i) {
        CursorState& st = cursors_[i];
        if (st.guest != guest)
            continue;
        if (st.queued)
            queue_.cancel(OutQueue::Kind::cursor_move, i);
        st = {};
    }
}

int ConsumerConnection::send_cursor_move(CursorState& st) {
    vdmabuf_c_cursor_move m{};
    m.hdr.type = VDMABUF_C_CURSOR_MOVE;
    m.hdr.size = sizeof(m);
    m.guest = st.guest;
    m.output = st.output;
    m.x = static_cast<uint32_t>(st.x);
    m.y = static_cast<uint32_t>(st.y);
    m.visible = st.visible ? 1 : 0;
    const int err = send_packet(&m, sizeof(m), {});
    if (err == 0)
        st.queued = false;
    return err;
}

bool ConsumerConnection::push_cursor_move(uint32_t guest, uint32_t output, int32_t x, int32_t y,
                                          bool visible) {
    if (broken_)
        return false;
    uint32_t index = static_cast<uint32_t>(cursors_.size());
    for (uint32_t i = 0; i < cursors_.size(); ++i) {
        if (cursors_[i].guest == guest && cursors_[i].output == output) {
            index = i;
            break;
        }
        if (cursors_[i].guest == 0 && index == cursors_.size())
            index = i; // first free entry, unless the pair has one
    }
    if (index == cursors_.size())
        cursors_.push_back({}); // once per (guest, output), not per move
    CursorState& st = cursors_[index];
    const bool was_queued = st.guest == guest && st.output == output && st.queued;
    st = {guest, output, x, y, visible, was_queued};
    if (was_queued) {
        // The queued entry renders the new position; keep order if it is not the newest.
        if (!queue_.is_last(OutQueue::Kind::cursor_move, index)) {
            queue_.cancel(OutQueue::Kind::cursor_move, index);
            if (!queue_.push_record(OutQueue::Kind::cursor_move, index))
                mark_broken("outbound queue full");
        }
        return true;
    }
    if (queue_.empty()) {
        // A consumer that is behind gets moves queued, where newer ones supersede them.
        const int err = behind() ? EAGAIN : send_cursor_move(st);
        if (err == 0)
            return false;
        if (err != EAGAIN) {
            send_failed(err);
            return false;
        }
    }
    if (!queue_.push_record(OutQueue::Kind::cursor_move, index)) {
        VDM_WARN("consumer %u: outbound queue full, disconnecting", id_);
        mark_broken("outbound queue full");
        return false;
    }
    st.queued = true;
    want_writable(true);
    return false;
}

void ConsumerConnection::flush() {
    while (!broken_) {
        queue_.pop_dead();
        if (queue_.empty())
            break;
        OutQueue::Entry& e = queue_.front();
        int err;
        uint32_t delivered = kNoRecord;
        if (e.kind == OutQueue::Kind::present) {
            const Presentation& p = holders_.at(e.record).p;
            err = send_present(e.record, output_state(p.id.guest, p.output));
            if (err == 0)
                delivered = e.record;
        } else if (e.kind == OutQueue::Kind::cursor_move) {
            err = send_cursor_move(cursors_[e.record]);
        } else {
            int fds[VDMABUF_CONSUMER_MAX_FDS];
            size_t n = std::min<size_t>(e.fds.size(), VDMABUF_CONSUMER_MAX_FDS);
            for (size_t i = 0; i < n; ++i)
                fds[i] = e.fds[i].get();
            err = send_packet(e.data.data(), e.data.size(), std::span<const int>(fds, n));
        }
        if (err == EAGAIN)
            return; // EPOLLOUT stays armed
        if (err != 0) {
            send_failed(err);
            return;
        }
        queue_.pop();
        if (delivered != kNoRecord)
            owner_.on_delivered(*this, delivered);
    }
    if (!broken_)
        want_writable(false);
    if (!broken_ && throttled_) { // caught up
        throttled_ = false;
        set_send_buffer(normal_send_buffer_);
    }
}

void ConsumerConnection::want_writable(bool on) {
    if (on == writable_armed_ || broken_)
        return;
    if (!loop_.modify(fd_.get(), on ? (EPOLLIN | EPOLLOUT) : EPOLLIN)) {
        mark_broken("epoll modify failed");
        return;
    }
    writable_armed_ = on;
}

} // namespace vdmabuf::backend

namespace vdmabuf::backend {

void ConsumerConnection::log_writable_once(bool granted, const char* why_not) {
    if (writable_logged_)
        return;
    writable_logged_ = true;
    // A grant lets this consumer (and whoever it passes the fds to, e.g. a
    // Wayland compositor) write guest RAM: worth one line per consumer.
    if (granted)
        VDM_INFO("consumer %u: read-write guest-memory fds granted (IMPORT_WRITABLE, pass-through)",
                 id_);
    else
        VDM_INFO("consumer %u: read-write guest-memory fds refused (%s); read-only imports", id_,
                 why_not ? why_not : "?");
}

} // namespace vdmabuf::backend
