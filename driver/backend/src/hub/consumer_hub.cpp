#define VDM_LOG_SCOPE "hub"
#include "hub/consumer_hub.hpp"

#include <vdmabuf/shared/log.hpp>

#include "guest/guest_session.hpp"
#include "hub/guest_port.hpp"

namespace vdmabuf::backend {

// GuestSession seen through the GuestPort interface. Lives from guest_added
// to guest_removed, inside which the session is alive.
class ConsumerHub::SessionPort final : public GuestPort {
public:
    explicit SessionPort(GuestSession& s) : s_(s) {}
    uint32_t id() const override { return s_.id(); }
    const std::string& name() const override { return s_.name(); }
    const Buffer* find_buffer(const BufferId& id) const override { return s_.find_buffer(id); }
    void for_each_buffer(const std::function<void(const Buffer&)>& fn) const override {
        s_.for_each_buffer(fn);
    }
    void release(const BufferId& id, uint64_t sequence, uint32_t output, uint32_t reason) override {
        s_.release(id, sequence, output, reason);
    }
    void refresh(uint32_t output) override { s_.refresh(output); }
    uint64_t features() const override { return s_.features(); }
    void queue_event(const void* event, size_t len) override { s_.queue_host_event(event, len); }
    const GuestCounters& counters() const override { return s_.counters(); }
    size_t presentations_in_flight() const override { return s_.presentations_in_flight(); }

private:
    GuestSession& s_;
};

std::unique_ptr<ConsumerHub> ConsumerHub::create(EventLoop& loop, const HubOptions& opts) {
    auto core = HubCore::create(loop, opts);
    if (!core)
        return nullptr;
    return std::unique_ptr<ConsumerHub>(new ConsumerHub(std::move(core)));
}

ConsumerHub::ConsumerHub(std::unique_ptr<HubCore> core) : core_(std::move(core)) {}

ConsumerHub::~ConsumerHub() = default;

void ConsumerHub::shutdown() {
    core_->shutdown();
}

ConsumerHub::SessionPort* ConsumerHub::port(const GuestSession& guest) {
    auto it = ports_.find(&guest);
    return it == ports_.end() ? nullptr : it->second.get();
}

void ConsumerHub::guest_added(GuestSession& guest) {
    auto& p = ports_[&guest];
    p = std::make_unique<SessionPort>(guest);
    core_->guest_added(*p);
}

void ConsumerHub::guest_removed(GuestSession& guest) {
    auto it = ports_.find(&guest);
    if (it == ports_.end())
        return;
    core_->guest_removed(*it->second);
    ports_.erase(it);
}

void ConsumerHub::buffer_added(GuestSession& guest, const Buffer& buffer) {
    if (SessionPort* p = port(guest))
        core_->buffer_added(*p, buffer);
}

void ConsumerHub::buffer_removed(GuestSession& guest, const Buffer& buffer) {
    if (SessionPort* p = port(guest))
        core_->buffer_removed(*p, buffer);
}

void ConsumerHub::presented(GuestSession& guest, const Presentation& p) {
    if (SessionPort* sp = port(guest)) {
        core_->presented(*sp, p);
    } else {
        // Not expected (presented() follows guest_added()), but the release is owed.
        VDM_WARN("guest %u: PRESENT before guest_added; released at once", guest.id());
        guest.release(p.id, p.sequence, p.output, VDMABUF_RELEASE_NO_CONSUMER);
    }
}

void ConsumerHub::output_changed(GuestSession& guest, const GuestOutput& output) {
    if (SessionPort* p = port(guest))
        core_->output_changed(*p, output);
}

void ConsumerHub::cursor_image(GuestSession& guest, const CursorImageRef& image) {
    if (SessionPort* p = port(guest))
        core_->cursor_image(*p, image);
}

void ConsumerHub::cursor_moved(GuestSession& guest, const CursorPosition& position) {
    if (SessionPort* p = port(guest))
        core_->cursor_moved(*p, position);
}

} // namespace vdmabuf::backend
