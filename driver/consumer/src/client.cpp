#define VDM_LOG_SCOPE "consumer"
#include <vdmabuf/consumer/client.hpp>

#include "event_queue.hpp"
#include "messages.hpp"
#include "packet_socket.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vdmabuf::consumer {
namespace {

// A flood from the daemon must not keep dispatch() from returning to its loop.
// Small: a callback may take milliseconds (a viewer copying a 4K frame), and
// while it runs the guest presents more; 4096 of those kept a benchmark's loop
// from ever checking its deadline (minutes at 4K). The fd stays readable, so
// the caller's next poll comes straight back for the rest.
constexpr int kMaxPacketsPerDispatch = 64;
// Malformed packets are logged this many times, then only counted.
constexpr uint64_t kLoggedDrops = 16;

template <class... F> struct Overloaded : F... {
    using F::operator()...;
};
template <class... F> Overloaded(F...) -> Overloaded<F...>;

void deliver(const Callbacks& cb, const Event& event) {
    std::visit(Overloaded{
                   [&](const GuestNew& e) {
                       if (cb.on_guest_new)
                           cb.on_guest_new(e.guest, std::string_view{e.name});
                   },
                   [&](const GuestGone& e) {
                       if (cb.on_guest_gone)
                           cb.on_guest_gone(e.guest);
                   },
                   [&](const BufferInfo& e) {
                       if (cb.on_buffer_new)
                           cb.on_buffer_new(e);
                   },
                   [&](const PresentEvent& e) {
                       if (cb.on_present)
                           cb.on_present(e);
                   },
                   [&](const BufferGone& e) {
                       if (cb.on_buffer_gone)
                           cb.on_buffer_gone(e.id);
                   },
                   [&](const ErrorEvent& e) {
                       if (cb.on_error)
                           cb.on_error(e.request, e.code, e.tag);
                   },
                   [&](const OutputEvent& e) {
                       if (cb.on_output)
                           cb.on_output({e.guest, e.output, e.flags, e.width, e.height,
                                         e.refresh_mhz, std::string_view{e.name}});
                   },
                   [&](const CursorImage& e) {
                       if (cb.on_cursor_image)
                           cb.on_cursor_image(e);
                   },
                   [&](const CursorMove& e) {
                       if (cb.on_cursor_move)
                           cb.on_cursor_move(e);
                   },
               },
               event);
}

int remaining_ms(uint64_t deadline_ns) {
    uint64_t now = now_ns();
    return now >= deadline_ns ? 0 : static_cast<int>((deadline_ns - now + 999'999u) / 1'000'000u);
}

} // namespace

struct Client::Pending {
    uint32_t request = 0; // VDMABUF_C_HELLO, _IMPORT or _STATS
    uint64_t tag = 0;
    vdmabuf_id id{}; // IMPORT: the buffer asked for
    uint32_t import_flags = 0; // IMPORT: what was asked for (a reply may grant no more)
    bool done = false;
    bool ok = false;
    vdmabuf_c_welcome welcome{};
    std::optional<Import> import;
    std::string text;
};

Client::Client(UniqueFd&& sock, uint32_t role)
    : sock_(std::make_unique<PacketSocket>(std::move(sock))),
      queue_(std::make_unique<EventQueue>()), role_(role) {}

Client::~Client() = default;

std::string Client::default_path() {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime && *runtime)
        return std::string(runtime) + "/vdmabuf/consumer.sock";
    return "/tmp/vdmabuf-" + std::to_string(::getuid()) + "/consumer.sock";
}

std::unique_ptr<Client> Client::connect(const std::string& path, uint32_t role,
                                        std::string_view guest_name, uint32_t output,
                                        int timeout_ms) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        VDM_ERROR("consumer socket path '%s' is empty or too long", path.c_str());
        return nullptr;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    UniqueFd sock{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
    if (!sock) {
        VDM_ERRNO("socket(AF_UNIX, SOCK_SEQPACKET) failed");
        return nullptr;
    }
    int r;
    do {
        r = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        VDM_ERRNO("connect(%s) failed; is vdmabufd running?", path.c_str());
        return nullptr;
    }
    return adopt(std::move(sock), role, guest_name, output, timeout_ms);
}

std::unique_ptr<Client> Client::adopt(UniqueFd&& sock, uint32_t role, std::string_view guest_name,
                                      uint32_t output, int timeout_ms) {
    if (!sock) {
        VDM_ERROR("no consumer socket to adopt");
        return nullptr;
    }
    if (role != VDMABUF_ROLE_VIEWER && role != VDMABUF_ROLE_CONTROL) {
        VDM_ERROR("unknown consumer role %u", role);
        return nullptr;
    }
    if (guest_name.size() > VDMABUF_NAME_LEN) {
        VDM_ERROR("guest name filter longer than %u bytes", VDMABUF_NAME_LEN);
        return nullptr;
    }
    std::unique_ptr<Client> client{new Client(std::move(sock), role)};
    if (!client->handshake(guest_name, output, timeout_ms))
        return nullptr;
    return client;
}

bool Client::handshake(std::string_view guest_name, uint32_t output, int timeout_ms) {
    vdmabuf_c_hello hello{};
    hello.hdr.type = VDMABUF_C_HELLO;
    hello.hdr.size = sizeof hello;
    hello.hdr.tag = next_tag();
    hello.magic = VDMABUF_CONSUMER_MAGIC;
    hello.version = VDMABUF_CONSUMER_VERSION;
    hello.role = role_;
    hello.output = output;
    hello.flags = VDMABUF_C_HELLO_WANT_LIMITS;
    if (!guest_name.empty()) // an empty view's data() may be null
        std::memcpy(hello.guest_name, guest_name.data(), guest_name.size());
    if (!sock_->send(&hello, sizeof hello))
        return false;

    Pending pending;
    pending.request = VDMABUF_C_HELLO;
    pending.tag = hello.hdr.tag;
    if (!await_reply(pending, timeout_ms))
        return false;
    consumer_id_ = pending.welcome.consumer;
    import_mode_ = pending.welcome.import_mode;
    release_timeout_ms_ = pending.welcome.release_timeout_ms;
    VDM_DEBUG("connected as consumer %u, import mode %u, release timeout %u ms", consumer_id_,
              import_mode_, release_timeout_ms_);
    return true;
}

void Client::set_callbacks(Callbacks callbacks) {
    callbacks_ = std::move(callbacks);
}

int Client::fd() const noexcept {
    return sock_->fd();
}

bool Client::wait(int timeout_ms) {
    if (!queue_->empty() || disconnected_)
        return true;
    pollfd pfd{sock_->fd(), POLLIN, 0};
    for (;;) {
        const int r = busy_poll(busy_, &pfd, 1, timeout_ms);
        if (r >= 0)
            return r > 0;
        if (errno != EINTR) {
            VDM_ERRNO("poll(consumer socket) failed");
            return false;
        }
    }
}

int Client::dispatch() {
    if (disconnect_reported_)
        return -1;
    int delivered = 0;
    int received = 0;
    Event event;
    for (;;) {
        // Queued events first, including any a callback's synchronous call
        // queued just now, so the order on the wire is the order delivered.
        if (queue_->pop(event)) {
            deliver(callbacks_, event);
            if (std::holds_alternative<CursorImage>(event))
                cursor_pixels_.pop_front(); // its copy (see receive_one)
            ++delivered;
            continue;
        }
        if (disconnected_ || received >= kMaxPacketsPerDispatch)
            break;
        if (receive_one(nullptr, delivered) <= 0)
            break;
        ++received;
    }
    if (disconnected_ && queue_->empty()) {
        disconnect_reported_ = true;
        if (callbacks_.on_disconnect)
            callbacks_.on_disconnect();
        return -1;
    }
    return delivered;
}

void Client::drop(uint32_t type, const char* why) {
    ++dropped_;
    if (dropped_ <= kLoggedDrops)
        VDM_WARN("dropped a %s packet (type 0x%x) from the daemon: %s%s", type_name(type), type,
                 why, dropped_ == kLoggedDrops ? " (further drops are only counted)" : "");
}

int Client::receive_one(Pending* pending, int& delivered) {
    switch (sock_->receive()) {
    case PacketSocket::Recv::empty:
        return 0;
    case PacketSocket::Recv::gone:
        if (!disconnected_)
            VDM_INFO("the daemon closed the consumer connection");
        disconnected_ = true;
        return -1;
    case PacketSocket::Recv::truncated:
        drop(0, "larger than a packet may be, or carrying too many fds");
        return 1;
    case PacketSocket::Recv::packet:
        break;
    }

    const auto pkt = sock_->data();
    Header hdr;
    if (const char* why = read_header(pkt, hdr)) {
        sock_->close_fds();
        drop(hdr.type, why);
        return 1;
    }
    const Kind kind = kind_of(hdr.type);
    if (kind != Kind::import_reply && sock_->fd_count() > 0) {
        sock_->close_fds();
        drop(hdr.type, "carries fds, which only IMPORT_REPLY may");
        return 1;
    }

    // Before WELCOME nothing else is asked, so any ERROR answers the HELLO.
    const bool answers_pending =
        pending && (hdr.tag == pending->tag || pending->request == VDMABUF_C_HELLO);

    switch (kind) {
    case Kind::unknown:
        // §1: unknown types are ignored (a newer daemon); counted, not warned.
        ++dropped_;
        VDM_DEBUG("ignoring message type 0x%x from the daemon", hdr.type);
        return 1;
    case Kind::event: {
        Event event;
        if (const char* why = decode_event(hdr, pkt, event)) {
            if (answers_pending && hdr.type == VDMABUF_C_ERROR)
                pending->done = true; // a reply, even if unreadable: stop waiting
            drop(hdr.type, why);
            return 1;
        }
        if (answers_pending && hdr.type == VDMABUF_C_ERROR) {
            const auto& e = std::get<ErrorEvent>(event);
            last_error_ = e.code;
            pending->done = true;
            // A buffer that went away since its BUFFER_NEW (its BUFFER_GONE or
            // GUEST_GONE is on the way) is a race, not a mistake.
            if (e.code == VDMABUF_C_ERR_UNKNOWN_BUFFER)
                VDM_DEBUG("the daemon refused %s: the buffer is gone", type_name(e.request));
            else
                VDM_WARN("the daemon refused %s: %s (%u)", type_name(e.request),
                         error_name(e.code), e.code);
            return 1;
        }
        if (pending) {
            if (auto* image = std::get_if<CursorImage>(&event)) {
                // The packet buffer is reused: keep the pixels until delivery.
                cursor_pixels_.emplace_back(image->pixels.begin(), image->pixels.end());
                image->pixels = cursor_pixels_.back();
            }
            queue_->push(event);
        } else {
            deliver(callbacks_, event);
            ++delivered;
        }
        return 1;
    }
    case Kind::welcome:
    case Kind::import_reply:
    case Kind::stats_reply: {
        const uint32_t expected = !pending                                   ? 0
                                  : pending->request == VDMABUF_C_HELLO  ? VDMABUF_C_WELCOME
                                  : pending->request == VDMABUF_C_IMPORT ? VDMABUF_C_IMPORT_REPLY
                                                                         : VDMABUF_C_STATS_REPLY;
        if (hdr.type != expected || !answers_pending) {
            // Typically the late answer to a call that timed out.
            sock_->close_fds();
            drop(hdr.type, "answers no request in flight");
            return 1;
        }
        handle_reply(*pending, hdr.type);
        return 1;
    }
    }
    return 1;
}

void Client::handle_reply(Pending& pending, uint32_t type) {
    const auto pkt = sock_->data();
    pending.done = true;
    const char* why = nullptr;
    if (type == VDMABUF_C_WELCOME) {
        why = decode_welcome(pkt, pending.welcome);
    } else if (type == VDMABUF_C_STATS_REPLY) {
        uint32_t format = 0;
        std::string_view text;
        why = decode_stats_reply(pkt, format, text);
        if (!why)
            pending.text.assign(text);
    } else {
        ImportReply reply;
        why = decode_import_reply(pkt, sock_->fd_count(), reply);
        if (!why && !same_id(reply.id, pending.id))
            why = "IMPORT_REPLY names another buffer";
        if (!why && (reply.flags & ~pending.import_flags) != 0)
            why = "IMPORT_REPLY grants what was not asked for";
        if (!why) {
            std::vector<UniqueFd> fds;
            fds.reserve(sock_->fd_count());
            for (size_t i = 0; i < sock_->fd_count(); ++i)
                fds.push_back(sock_->take_fd(i));
            pending.import.emplace(reply.id, reply.mode, reply.size, std::move(fds),
                                   std::move(reply.extents),
                                   (reply.flags & VDMABUF_C_IMPORT_WRITABLE) != 0);
        }
    }
    sock_->close_fds(); // whatever was not taken
    if (why) {
        drop(type, why);
        return;
    }
    pending.ok = true;
}

bool Client::await_reply(Pending& pending, int timeout_ms) {
    const uint64_t deadline = now_ns() + static_cast<uint64_t>(timeout_ms < 0 ? 0 : timeout_ms) *
                                             1'000'000u;
    int unused = 0;
    while (!pending.done) {
        int r = receive_one(&pending, unused);
        if (r < 0 || disconnected_) {
            VDM_ERROR("the daemon went away before answering %s", type_name(pending.request));
            return false;
        }
        if (r > 0)
            continue;
        int left = remaining_ms(deadline);
        if (left <= 0) {
            VDM_ERROR("no answer to %s within %d ms", type_name(pending.request), timeout_ms);
            return false;
        }
        (void)sock_->wait_readable(left);
    }
    return pending.ok;
}

std::optional<Import> Client::import(const vdmabuf_id& id, int timeout_ms, uint32_t flags) {
    last_error_ = 0;
    if (disconnected_)
        return std::nullopt;
    vdmabuf_c_import req{};
    req.hdr.type = VDMABUF_C_IMPORT;
    req.hdr.size = sizeof req;
    req.hdr.tag = next_tag();
    req.id = id;
    req.flags = flags;
    if (!sock_->send(&req, sizeof req))
        return std::nullopt;

    Pending pending;
    pending.request = VDMABUF_C_IMPORT;
    pending.import_flags = flags;
    pending.tag = req.hdr.tag;
    pending.id = id;
    if (!await_reply(pending, timeout_ms))
        return std::nullopt; // logged where it failed
    return std::move(pending.import);
}

bool Client::release(const vdmabuf_id& id, uint64_t sequence) {
    if (disconnected_)
        return false;
    vdmabuf_c_release req{};
    req.hdr.type = VDMABUF_C_RELEASE;
    req.hdr.size = sizeof req;
    req.hdr.tag = next_tag();
    req.id = id;
    req.sequence = sequence;
    return sock_->send(&req, sizeof req);
}

std::optional<std::string> Client::stats(uint32_t format, uint32_t what, int timeout_ms) {
    last_error_ = 0;
    if (disconnected_)
        return std::nullopt;
    vdmabuf_c_stats req{};
    req.hdr.type = VDMABUF_C_STATS;
    req.hdr.size = sizeof req;
    req.hdr.tag = next_tag();
    req.format = format;
    req.what = what;
    if (!sock_->send(&req, sizeof req))
        return std::nullopt;

    Pending pending;
    pending.request = VDMABUF_C_STATS;
    pending.tag = req.hdr.tag;
    if (!await_reply(pending, timeout_ms))
        return std::nullopt;
    return std::move(pending.text);
}

} // namespace vdmabuf::consumer
