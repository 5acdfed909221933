#define VDM_LOG_SCOPE "loop"
#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <cerrno>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

namespace vdmabuf {

std::unique_ptr<EventLoop> EventLoop::create() {
    UniqueFd epoll{epoll_create1(EPOLL_CLOEXEC)};
    if (!epoll) {
        VDM_ERRNO("epoll_create1 failed");
        return nullptr;
    }
    UniqueFd timer{timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
    if (!timer) {
        VDM_ERRNO("timerfd_create failed");
        return nullptr;
    }
    std::unique_ptr<EventLoop> loop{new EventLoop(std::move(epoll), std::move(timer))};
    if (!loop->add(loop->timer_fd_.get(), EPOLLIN,
                   [l = loop.get()](uint32_t) { l->handle_timerfd(); }))
        return nullptr;
    return loop;
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd timer)
    : epoll_(std::move(epoll)), timer_fd_(std::move(timer)) {
    sigemptyset(&signal_mask_);
    sigemptyset(&blocked_by_us_);
}

EventLoop::~EventLoop() {
    // Restore the caller's mask. A signal still pending is then delivered with
    // whatever disposition the process has, as it would have been without us.
    signal_fd_.reset();
    if (!sigisemptyset(&blocked_by_us_))
        pthread_sigmask(SIG_UNBLOCK, &blocked_by_us_, nullptr);
}

bool EventLoop::add(int fd, uint32_t events, FdCallback cb) {
    if (fd < 0 || !cb || keys_.count(fd)) {
        VDM_ERROR("add(fd %d): invalid, no callback, or already registered", fd);
        return false;
    }
    uint64_t key = next_key_++;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = key;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        VDM_ERRNO("epoll_ctl(ADD, fd %d) failed", fd);
        return false;
    }
    sources_.emplace(key, Source{fd, std::make_shared<FdCallback>(std::move(cb))});
    keys_.emplace(fd, key);
    return true;
}

bool EventLoop::modify(int fd, uint32_t events) {
    auto it = keys_.find(fd);
    if (it == keys_.end()) {
        VDM_ERROR("modify(fd %d): not registered", fd);
        return false;
    }
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = it->second;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
        VDM_ERRNO("epoll_ctl(MOD, fd %d) failed", fd);
        return false;
    }
    return true;
}

void EventLoop::remove(int fd) {
    auto it = keys_.find(fd);
    if (it == keys_.end())
        return;
    // EBADF/ENOENT are expected if the caller already closed the fd.
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    sources_.erase(it->second);
    keys_.erase(it);
}

int EventLoop::wait(epoll_event* events, int max, int timeout_ms) {
    if (timeout_ms == 0)
        return epoll_wait(epoll_.get(), events, max, 0);
    const uint64_t now = now_ns();
    uint64_t limit = timeout_ms < 0 ? UINT64_MAX : now + uint64_t(timeout_ms) * 1'000'000u;
    // A due timer is work already: spin_until() gives 0 for a limit in the past.
    if (!timers_.empty())
        limit = std::min(limit, timers_.begin()->first.first);
    if (const uint64_t until = busy_.spin_until(now, limit)) {
        int n = 0;
        if (busy_.spin(until, [&] { return (n = epoll_wait(epoll_.get(), events, max, 0)) != 0; }))
            return n;
        if (timeout_ms > 0) {
            const uint64_t after = now_ns(), end = now + uint64_t(timeout_ms) * 1'000'000u;
            timeout_ms = after >= end ? 0 : int((end - after + 999'999u) / 1'000'000u);
        }
    }
    return epoll_wait(epoll_.get(), events, max, timeout_ms);
}

int EventLoop::dispatch(int timeout_ms) {
    epoll_event events[32];
    int n = wait(events, 32, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        VDM_ERRNO("epoll_wait failed");
        return -1;
    }
    int handled = 0;
    for (int i = 0; i < n; ++i) {
        // Look up by key each time: an earlier callback may have removed this source.
        // Copied out first: epoll_event is packed, so data.u64 is misaligned and
        // binding find()'s const reference to it is undefined (UBSan).
        const uint64_t key = events[i].data.u64;
        auto it = sources_.find(key);
        if (it == sources_.end())
            continue;
        std::shared_ptr<FdCallback> cb = it->second.cb;
        (*cb)(events[i].events);
        ++handled;
    }
    if (handled > 0)
        busy_.note_activity(now_ns());
    return handled;
}

int EventLoop::run() {
    running_ = true;
    while (running_)
        if (dispatch(-1) < 0)
            return -1;
    return 0;
}

uint64_t EventLoop::add_timer_ms(uint64_t ms, TimerCallback cb) {
    if (!cb)
        return 0;
    uint64_t id = next_timer_id_++;
    // Clamp so the nanosecond deadline cannot overflow (10^12 ms is ~31 years).
    uint64_t deadline = now_ns() + std::min<uint64_t>(ms, 1'000'000'000'000u) * 1'000'000u;
    timers_.emplace(std::pair{deadline, id}, std::move(cb));
    timer_deadlines_.emplace(id, deadline);
    arm_timerfd();
    return id;
}

bool EventLoop::cancel_timer(uint64_t id) {
    auto it = timer_deadlines_.find(id);
    if (it == timer_deadlines_.end())
        return false;
    timers_.erase(std::pair{it->second, id});
    timer_deadlines_.erase(it);
    arm_timerfd();
    return true;
}

// Keeps the timerfd armed for the earliest deadline (or disarmed when none).
void EventLoop::arm_timerfd() {
    uint64_t deadline = timers_.empty() ? 0 : timers_.begin()->first.first;
    if (deadline == armed_deadline_)
        return;
    itimerspec its{};
    // An all-zero it_value disarms; a past absolute deadline fires at once.
    its.it_value.tv_sec = static_cast<time_t>(deadline / 1'000'000'000u);
    its.it_value.tv_nsec = static_cast<long>(deadline % 1'000'000'000u);
    if (timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &its, nullptr) != 0) {
        VDM_ERRNO("timerfd_settime failed");
        return;
    }
    armed_deadline_ = deadline;
}

void EventLoop::handle_timerfd() {
    uint64_t expirations;
    if (read(timer_fd_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        VDM_ERRNO("read(timerfd) failed");
    armed_deadline_ = 0; // one-shot: fired (or spuriously woken); re-arm below
    // Only timers due now: a callback adding a 0 ms timer runs it next dispatch,
    // not in this loop, so a self-rearming timer cannot starve fds.
    uint64_t now = now_ns();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
        auto node = timers_.extract(timers_.begin());
        timer_deadlines_.erase(node.key().second);
        node.mapped()(); // may add or cancel timers
    }
    arm_timerfd();
}

bool EventLoop::add_signal(int signo, SignalCallback cb) {
    if (!cb || signals_.count(signo)) {
        VDM_ERROR("add_signal(%d): no callback or already registered", signo);
        return false;
    }
    sigset_t one, old;
    sigemptyset(&one);
    if (sigaddset(&one, signo) != 0) {
        VDM_ERRNO("sigaddset(%d) failed", signo);
        return false;
    }
    if (int err = pthread_sigmask(SIG_BLOCK, &one, &old); err != 0) {
        errno = err;
        VDM_ERRNO("pthread_sigmask(%d) failed", signo);
        return false;
    }
    if (!sigismember(&old, signo))
        sigaddset(&blocked_by_us_, signo);
    sigaddset(&signal_mask_, signo);

    // signalfd(-1) creates; signalfd(fd) replaces the mask of an existing one.
    int fd =
        signalfd(signal_fd_ ? signal_fd_.get() : -1, &signal_mask_, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        VDM_ERRNO("signalfd failed");
        sigdelset(&signal_mask_, signo);
        return false;
    }
    if (!signal_fd_) {
        signal_fd_.reset(fd);
        if (!add(fd, EPOLLIN, [this](uint32_t) { handle_signalfd(); })) {
            signal_fd_.reset();
            sigdelset(&signal_mask_, signo);
            return false;
        }
    }
    signals_.emplace(signo, std::move(cb));
    return true;
}

void EventLoop::handle_signalfd() {
    signalfd_siginfo info;
    while (read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        auto it = signals_.find(static_cast<int>(info.ssi_signo));
        if (it != signals_.end()) {
            SignalCallback cb = it->second; // copy: the callback may re-register
            cb(static_cast<int>(info.ssi_signo));
        }
    }
}

} // namespace vdmabuf
