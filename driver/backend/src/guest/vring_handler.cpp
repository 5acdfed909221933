// The per-vring half of the vhost-user back-end: ring addresses, kick/call/err fds,
// starting and stopping rings, and the kick -> process -> call cycle.
#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/log.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cinttypes>

namespace vdmabuf::backend {

namespace vu = virtio::vhost_user;

bool GuestSession::set_vring_addr() {
    vu::VringAddr addr{};
    uint32_t index = 0;
    if (!read_payload(addr) || !vring_index(addr.index, index))
        return false;
    Vring& vr = vrings_[index];
    vr.addr = addr;
    vr.have_addr = true;
    configure_vring(index);
    if (!vr.queue.configured() && resumed_ && memory_.region_count() == 0 && !warned_no_memory_) {
        // QEMU sends ADD_MEM_REG only for regions it has not sent yet, and it sent
        // them all to the daemon before this one: they never come.
        warned_no_memory_ = true;
        VDM_ERROR("vhost-user connection %u: the resumed front-end sent rings but no guest "
                  "memory (it gave its regions to the previous vdmabufd with "
                  "CONFIGURE_MEM_SLOTS and does not send them again); this guest stays "
                  "unserved until its VM restarts. Run vdmabufd with --mem-slots off to "
                  "survive restarts (docs/qemu.md)",
                  connection_);
    }
    if (!vr.queue.configured()) {
        bad_vhost("vring %u: addresses rejected", index);
        return false;
    }
    on_kick(index); // the kick fd may have come first
    return true;
}

void GuestSession::configure_vring(uint32_t index) {
    Vring& vr = vrings_[index];
    const bool event_idx = acked_features_ & vu::bit(vu::feature::kEventIdx);
    const bool indirect = acked_features_ & vu::bit(vu::feature::kIndirectDesc);
    vr.broken_counted = false;
    if (!vr.queue.configure(memory_, vr.num, vr.addr.desc_user_addr, vr.addr.avail_user_addr,
                            vr.addr.used_user_addr, event_idx, indirect))
        VDM_DEBUG("vring %u: not configured (num %u)", index, vr.num);
}

bool GuestSession::set_vring_fd(vu::Request which) {
    uint64_t u64 = 0;
    uint32_t index = 0;
    if (!read_payload(u64) || !vring_index(u64 & vu::kVringIndexMask, index))
        return false;
    const bool no_fd = u64 & vu::kVringNoFdFlag;
    if ((u64 & ~(vu::kVringIndexMask | vu::kVringNoFdFlag)) || msg_.nfds != (no_fd ? 0u : 1u)) {
        bad_vhost("vring %u: payload 0x%" PRIx64 " with %u fds", index, u64, msg_.nfds);
        return false;
    }
    Vring& vr = vrings_[index];
    UniqueFd fd = no_fd ? UniqueFd{} : msg_.take_fd(0);
    // The daemon reads kicks and writes calls on fds the front-end also holds: a
    // blocking one (a full pipe, an eventfd the front-end drained first) would hang
    // the loop for every guest. QEMU's and libvdmabuf-guest's eventfds are
    // non-blocking already.
    if (fd) {
        const int fl = ::fcntl(fd.get(), F_GETFL);
        if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK) < 0) {
            bad_vhost("vring %u: fd cannot be made non-blocking", index);
            return false;
        }
    }
    switch (which) {
    case vu::Request::set_vring_kick:
        if (vr.watching) {
            loop_.remove(vr.kick.get());
            vr.watching = false;
        }
        vr.kick = std::move(fd);
        if (!vr.kick) {
            bad_vhost("vring %u: polling mode (no kick fd) not supported", index);
            return false;
        }
        // Without protocol features a ring starts enabled; with them it waits for
        // SET_VRING_ENABLE.
        if (!(acked_features_ & vu::bit(vu::feature::kProtocolFeatures)))
            vr.queue.enable(true);
        watch_kick(index);
        return vr.watching;
    case vu::Request::set_vring_call: vr.call = std::move(fd); return true;
    default: vr.err = std::move(fd); return true;
    }
}

void GuestSession::watch_kick(uint32_t index) {
    Vring& vr = vrings_[index];
    auto on_readable = [this, index](uint32_t events) {
        // One read empties a (non-semaphore) eventfd.
        Vring& ring = vrings_[index];
        uint64_t value = 0;
        ++counters_.kicks;
        const ssize_t n = ::read(ring.kick.get(), &value, sizeof value);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
            (events & (EPOLLHUP | EPOLLERR))) {
            // Not an eventfd (a pipe that hung up, a socket): it would wake the loop
            // forever. Stop watching; the driver can send a new kick fd.
            ++counters_.bad_vhost_messages;
            VDM_WARN("vhost-user connection %u: vring %u: kick fd hung up or failed "
                     "(events 0x%x); no longer watched",
                     connection_, index, events);
            loop_.remove(ring.kick.get());
            ring.watching = false;
            return;
        }
        if (!on_kick(index))
            note_empty_kick();
    };
    if (!loop_.add(vr.kick.get(), EPOLLIN, on_readable)) {
        VDM_ERROR("guest: cannot watch the kick fd of vring %u", index);
        return;
    }
    vr.watching = true;
    on_kick(index); // the driver may have posted before the fd arrived
}

bool GuestSession::on_kick(uint32_t index) {
    Vring& vr = vrings_[index];
    if (!vr.watching)
        return true;
    if (index == VDMABUF_VQ_CTRL)
        return process_ctrlq();
    flush_events();
    return true;
}

void GuestSession::note_empty_kick() {
    // Spurious kicks are cheap (the eventfd coalesces them) but a storm is worth a
    // line: at 1000, 10000, ... of them.
    const uint64_t n = ++counters_.empty_kicks;
    uint64_t mark = 1000;
    while (mark < n && mark <= UINT64_MAX / 10)
        mark *= 10;
    if (n == mark)
        VDM_WARN("guest %u '%s' (connection %u): %llu ctrlq kicks found no request (kick storm?)",
                 ids_.guest, name_.c_str(), connection_, static_cast<unsigned long long>(n));
}

void GuestSession::notify(uint32_t index) {
    Vring& vr = vrings_[index];
    if (!vr.queue.should_notify() || !vr.call)
        return;
    const uint64_t one = 1;
    if (::write(vr.call.get(), &one, sizeof one) == sizeof one || errno == EAGAIN ||
        errno == EINTR)
        return;
    // Not an eventfd (a read-only file, a socket whose peer left): it would fail,
    // and log, on every notification. Drop it once; the driver can send another.
    ++counters_.bad_vhost_messages;
    VDM_WARN("vhost-user connection %u: vring %u: call fd failed (%s); dropped", connection_,
             index, strerror(errno));
    vr.call.reset();
}

bool GuestSession::get_vring_base(bool& replied) {
    vu::VringState state{};
    uint32_t index = 0;
    const bool ok = read_payload(state) && vring_index(state.index, index);
    vu::VringState answer{state.index, ok ? vrings_[index].queue.base() : 0u};
    const vu::Header hdr{msg_.hdr.request, vu::kVersion | vu::kFlagReply, sizeof answer};
    replied = true;
    if (!vu::send_message(sock_.get(), hdr, &answer, {}, false /* never wait: see kNoWait */))
        reply_failed();
    if (!ok)
        return false;
    stop_vring(index);
    // Stopping the ctrlq ends the vdmabuf session (§9); the connection stays.
    if (index == VDMABUF_VQ_CTRL)
        end_session("front-end stopped the ctrlq");
    return true;
}

void GuestSession::stop_vring(uint32_t index) {
    Vring& vr = vrings_[index];
    if (index == VDMABUF_VQ_CTRL && ctrl_resume_timer_ != 0) {
        loop_.cancel_timer(ctrl_resume_timer_);
        ctrl_resume_timer_ = 0;
    }
    if (vr.watching)
        loop_.remove(vr.kick.get());
    vr.watching = false;
    vr.kick.reset();
    vr.have_addr = false;
    vr.broken_counted = false;
    vr.queue.reset();
}

} // namespace vdmabuf::backend
