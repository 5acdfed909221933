// A small single-threaded epoll loop for daemons and tests: fd readiness,
// one-shot timers (one timerfd, deadline-ordered) and signals (one signalfd).
#pragma once

#include <vdmabuf/shared/busy_poll.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <csignal>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

struct epoll_event;

namespace vdmabuf {

class EventLoop {
public:
    using FdCallback = std::function<void(uint32_t events)>; // EPOLLIN | EPOLLOUT | ...
    using TimerCallback = std::function<void()>;
    using SignalCallback = std::function<void(int signo)>;

    // nullptr (logged) if epoll or timerfd creation fails.
    [[nodiscard]] static std::unique_ptr<EventLoop> create();
    ~EventLoop();

    // Non-movable: callbacks routinely capture the loop's address.
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Borrows fd; the caller keeps it open until remove(). One registration per fd.
    [[nodiscard]] bool add(int fd, uint32_t events, FdCallback cb);
    [[nodiscard]] bool modify(int fd, uint32_t events);
    // Safe from any callback, including fd's own; a pending event for a removed
    // fd is dropped even if the number is reused by a new add() in the same dispatch.
    void remove(int fd);

    // The epoll fd: readable when dispatch() has work, so this loop can nest in another.
    [[nodiscard]] int fd() const noexcept { return epoll_.get(); }

    // Waits up to timeout_ms (-1 forever, 0 poll) and runs ready callbacks.
    // Returns the number of callbacks run, or -1 on error (EINTR counts as 0).
    // With busy-polling on and a callback run within BusyPoll::kActiveWindowNs,
    // the wait first spins for up to the budget, never past the next timer.
    int dispatch(int timeout_ms);
    // Busy-poll budget in µs; 0 (the default) turns it off.
    void set_busy_poll_us(uint32_t us) noexcept { busy_.set_budget_us(us); }
    [[nodiscard]] const BusyPoll& busy_poll() const noexcept { return busy_; }
    // Makes run() return after the current dispatch. Call from a callback.
    void stop() noexcept { running_ = false; }
    // Dispatches until stop(); 0 then, -1 on error.
    int run();

    // One-shot timer after ms milliseconds (CLOCK_MONOTONIC). Returns an id > 0,
    // or 0 on failure. Timers with equal deadlines run in the order added.
    // Not [[nodiscard]]: fire-and-forget timers are normal, and it only fails for an empty cb.
    uint64_t add_timer_ms(uint64_t ms, TimerCallback cb);
    // false if id already fired or was cancelled. Safe from callbacks.
    bool cancel_timer(uint64_t id);

    // Blocks signo in the calling thread (signalfd needs that; other threads
    // must block it too, so call this before spawning threads) and delivers it
    // as a callback. The previous mask is restored on destruction.
    [[nodiscard]] bool add_signal(int signo, SignalCallback cb);

private:
    EventLoop(UniqueFd epoll, UniqueFd timer);

    struct Source {
        int fd;
        std::shared_ptr<FdCallback> cb; // shared: survives remove() during its own call
    };
    // epoll_wait, after the busy-poll spin if the loop is active.
    int wait(epoll_event* events, int max, int timeout_ms);
    void handle_timerfd();
    void handle_signalfd();
    void arm_timerfd();

    UniqueFd epoll_;
    UniqueFd timer_fd_;
    UniqueFd signal_fd_; // created by the first add_signal()
    // Each add() gets a fresh key stored in epoll_event.data, so stale events
    // from a removed (possibly reused) fd number find no source and are skipped.
    std::unordered_map<uint64_t, Source> sources_; // key -> source
    std::unordered_map<int, uint64_t> keys_;       // fd -> key
    uint64_t next_key_ = 1;

    std::map<std::pair<uint64_t, uint64_t>, TimerCallback> timers_; // (deadline ns, id) -> cb
    std::unordered_map<uint64_t, uint64_t> timer_deadlines_;        // id -> deadline ns
    uint64_t next_timer_id_ = 1;
    uint64_t armed_deadline_ = 0;

    std::unordered_map<int, SignalCallback> signals_;
    sigset_t signal_mask_{};   // signals routed to signal_fd_
    sigset_t blocked_by_us_{}; // of those, the ones that were not blocked before

    BusyPoll busy_;
    bool running_ = false;
};

} // namespace vdmabuf
