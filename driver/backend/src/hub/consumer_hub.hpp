// The Hub the guest half talks to: wraps each GuestSession in a GuestPort and
// forwards to HubCore, which owns the consumer socket, the registry and the
// release accounting. Kept thin so HubCore can be unit-tested with fake guests.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include <vdmabuf/shared/event_loop.hpp>

#include "hub/hub_core.hpp"
#include "model.hpp"

namespace vdmabuf::backend {

class ConsumerHub final : public Hub {
public:
    // nullptr (logged) on failure.
    [[nodiscard]] static std::unique_ptr<ConsumerHub> create(EventLoop& loop, const HubOptions& opts);
    ~ConsumerHub() override;

    [[nodiscard]] bool listen(const std::string& consumer_socket) { return core_->listen(consumer_socket); }
    // Closes consumers and the consumer socket; later guest callbacks are ignored.
    void shutdown();
    [[nodiscard]] HubCore& core() { return *core_; }

    void guest_added(GuestSession& guest) override;
    void guest_removed(GuestSession& guest) override;
    void buffer_added(GuestSession& guest, const Buffer& buffer) override;
    void buffer_removed(GuestSession& guest, const Buffer& buffer) override;
    void presented(GuestSession& guest, const Presentation& p) override;
    void connection_counters(const GuestCounters& c) override { core_->connection_counters(c); }
    void output_changed(GuestSession& guest, const GuestOutput& output) override;
    void cursor_image(GuestSession& guest, const CursorImageRef& image) override;
    void cursor_moved(GuestSession& guest, const CursorPosition& position) override;

private:
    class SessionPort;
    explicit ConsumerHub(std::unique_ptr<HubCore> core);
    [[nodiscard]] SessionPort* port(const GuestSession& guest);

    std::unique_ptr<HubCore> core_;
    std::unordered_map<const GuestSession*, std::unique_ptr<SessionPort>> ports_;
};

} // namespace vdmabuf::backend
