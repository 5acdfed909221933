// vdmabufd: one event loop serving guests (vhost-user, GuestSession) on the
// guest socket and host consumers (ConsumerHub) on the consumer socket.
#define VDM_LOG_SCOPE "vdmabufd"

#include <csignal>
#include <cstdio>
#include <memory>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unordered_map>

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include "guest/guest_session.hpp"
#include "hub/consumer_hub.hpp"
#include "hub/daemon_options.hpp"
#include "hub/sandbox.hpp"
#include "hub/unix_listener.hpp"

using namespace vdmabuf;
using namespace vdmabuf::backend;

namespace {

log::Level level_from(const std::string& s) {
    if (s == "silent") return log::Level::silent;
    if (s == "error") return log::Level::error;
    if (s == "warn") return log::Level::warn;
    if (s == "debug") return log::Level::debug;
    if (s == "trace") return log::Level::trace;
    return log::Level::info;
}

// Accepts guest connections and owns their sessions.
class GuestListener {
public:
    GuestListener(EventLoop& loop, Hub& hub, GuestOptions opts, uint32_t max_guests,
                  HubCounters& counters)
        : loop_(loop), hub_(hub), opts_(opts), max_guests_(max_guests), counters_(counters) {}
    ~GuestListener() { close(); }

    [[nodiscard]] bool listen(const std::string& path) {
        fd_ = listen_unix(path, SOCK_STREAM);
        if (!fd_ || !watch())
            return false;
        path_ = path;
        VDM_INFO("guest socket %s", path.c_str());
        return true;
    }

    // Stops listening and ends every session (each tells the hub it left).
    void close() {
        if (fd_) {
            loop_.remove(fd_.get());
            fd_.reset();
            unlink_socket(path_);
        }
        sessions_.clear();
    }

private:
    [[nodiscard]] bool watch() {
        return loop_.add(fd_.get(), EPOLLIN, [this](uint32_t) { accept_all(); });
    }

    void accept_all() {
        for (;;) {
            UniqueFd fd{::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)};
            if (!fd) {
                if (errno == EINTR)
                    continue;
                if (pause_on_resource_limit(loop_, fd_.get(), errno, "guest",
                                            counters_.accept_pauses, [this] {
                                                if (fd_ && watch())
                                                    accept_all();
                                            }))
                    return;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    VDM_ERRNO("accept4(guest socket) failed");
                return;
            }
            // Every session reserves about 200 KiB for the largest request: a local
            // process opening connections by the thousand must not eat the host.
            if (sessions_.size() >= max_guests_) {
                ++counters_.guests_refused;
                if (counters_.guests_refused <= 10 || counters_.guests_refused % 1000 == 0)
                    VDM_WARN("guest connection refused: already %zu (--max-guests); %llu refused",
                             sessions_.size(),
                             static_cast<unsigned long long>(counters_.guests_refused));
                continue; // fd closes here
            }
            int raw = fd.get();
            auto session = GuestSession::create(std::move(fd), loop_, hub_, opts_,
                                                [this](GuestSession& s) { closed(s); });
            if (!session)
                continue;
            VDM_INFO("guest connection accepted (fd %d)", raw);
            GuestSession* key = session.get();
            sessions_.emplace(key, std::move(session));
        }
    }

    void closed(GuestSession& s) {
        // Not inside the session's own callback: destroy it from a fresh stack.
        GuestSession* key = &s;
        loop_.add_timer_ms(0, [this, key] { sessions_.erase(key); });
    }

    EventLoop& loop_;
    Hub& hub_;
    GuestOptions opts_;
    uint32_t max_guests_;
    HubCounters& counters_;
    UniqueFd fd_;
    std::string path_;
    std::unordered_map<GuestSession*, std::unique_ptr<GuestSession>> sessions_;
};

} // namespace

int main(int argc, char** argv) {
    log::set_program("vdmabufd");
    DaemonOptions opts;
    switch (parse_daemon_options(argc, argv, opts)) {
    case ParseStatus::help:
        print_usage(stdout);
        return 0;
    case ParseStatus::error:
        return 2;
    case ParseStatus::run:
        break;
    }
    if (!opts.log_level.empty())
        log::set_level(level_from(opts.log_level));
    if (opts.guest_socket.empty() || opts.consumer_socket.empty()) {
        std::string dir = default_runtime_dir();
        if (dir.empty())
            return 1;
        if (opts.guest_socket.empty())
            opts.guest_socket = dir + "/guest.sock";
        if (opts.consumer_socket.empty())
            opts.consumer_socket = dir + "/consumer.sock";
    }
    if (!check_socket_dir(opts.guest_socket) || !check_socket_dir(opts.consumer_socket))
        return 1;
    std::signal(SIGPIPE, SIG_IGN);

    auto loop = EventLoop::create();
    if (!loop)
        return 1;
    loop->set_busy_poll_us(opts.busy_poll_us);
    HubOptions hub_opts;
    hub_opts.release_timeout_ms = opts.release_timeout_ms;
    hub_opts.try_udmabuf = opts.try_udmabuf;
    hub_opts.writable_imports = opts.writable_imports;
    auto hub = ConsumerHub::create(*loop, hub_opts);
    if (!hub || !hub->listen(opts.consumer_socket))
        return 1;
    GuestOptions guest_opts;
    guest_opts.max_buffers = opts.max_buffers_per_guest;
    guest_opts.mem_slots = opts.mem_slots;
    auto guests = std::make_unique<GuestListener>(*loop, *hub, guest_opts, opts.max_guests,
                                                  hub->core().listener_counters());
    if (!guests->listen(opts.guest_socket)) {
        hub->shutdown();
        return 1;
    }
    for (int signo : {SIGINT, SIGTERM})
        if (!loop->add_signal(signo, [&](int s) {
                VDM_INFO("%s: shutting down", strsignal(s));
                loop->stop();
            }))
            return 1;

    // Everything that needs the file system is open now.
    if (!drop_capabilities() || !enter_sandbox(opts.seccomp)) {
        guests->close();
        hub->shutdown();
        return 1;
    }

    std::printf("vdmabufd: ready\n");
    std::fflush(stdout);
    int rc = loop->run();

    // Consumers first (nothing is released to guests that are going away),
    // then the sessions, whose teardown the hub now ignores.
    hub->shutdown();
    guests.reset();
    hub.reset();
    VDM_INFO("stopped");
    return rc == 0 ? 0 : 1;
}
