#define VDM_LOG_SCOPE "device"
#include "export/device_link.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>

namespace vdmabuf::compositor {

DeviceLink::DeviceLink(wl_event_loop* loop, std::string path, frontend::DeviceOptions options,
                       Events events)
    : loop_(loop), path_(std::move(path)), options_(std::move(options)),
      events_(std::move(events)) {
    retry_timer_.reset(wl_event_loop_add_timer(loop_, &DeviceLink::handle_retry, this));
}

DeviceLink::~DeviceLink() { close(); }

void DeviceLink::close() {
    retry_timer_.reset();
    fd_source_.reset();
    device_.reset();
}

void DeviceLink::start() {
    if (!try_connect())
        schedule_retry();
}

bool DeviceLink::try_connect() {
    // libvdmabuf-guest logs every failed open; after the first failure keep retries
    // quiet, so the log shows each state change once.
    const log::Level saved = log::level();
    if (failing_logged_)
        log::set_level(log::Level::silent);
    auto device = frontend::Device::open(path_, options_);
    log::set_level(saved);
    if (!device) {
        if (!failing_logged_)
            VDM_WARN("device %s unavailable; retrying with backoff up to %d ms", path_.c_str(),
                     kMaxBackoffMs);
        failing_logged_ = true;
        return false;
    }
    failing_logged_ = false;
    backoff_ms_ = kFirstBackoffMs;
    frontend::Callbacks callbacks;
    callbacks.on_release = [this](const vdmabuf_id& id, uint64_t seq, uint32_t output,
                                  uint32_t reason) {
        if (events_.on_release)
            events_.on_release(id, seq, output, reason);
    };
    callbacks.on_refresh = [this](uint32_t output) {
        if (events_.on_refresh)
            events_.on_refresh(output);
    };
    callbacks.on_error = [this](uint32_t type, uint32_t code, uint64_t tag) {
        if (events_.on_error)
            events_.on_error(type, code, tag);
    };
    callbacks.on_lost = [this] { lose(); };
    callbacks.on_input = [this](const frontend::InputEvent& e) {
        if (events_.on_input)
            events_.on_input(e);
    };
    callbacks.on_keymap = [this](std::string_view layout, std::string_view variant) {
        if (events_.on_keymap)
            events_.on_keymap(layout, variant);
    };
    callbacks.on_mode = [this](uint32_t output, uint32_t w, uint32_t h, uint32_t mhz) {
        if (events_.on_mode)
            events_.on_mode(output, w, h, mhz);
    };
    callbacks.on_hotplug = [this](uint32_t output, bool connected, uint32_t w, uint32_t h,
                                  uint32_t mhz) {
        if (events_.on_hotplug)
            events_.on_hotplug(output, connected, w, h, mhz);
    };
    device->set_callbacks(std::move(callbacks));
    fd_source_.reset(wl_event_loop_add_fd(loop_, device->fd(), WL_EVENT_READABLE,
                                          &DeviceLink::handle_fd, this));
    if (!fd_source_) {
        VDM_ERROR("wl_event_loop_add_fd for the device failed");
        return false;
    }
    device_ = std::move(device);
    ++generation_;
    VDM_INFO("connected to %s (session %llu, guest %u, features 0x%llx)", path_.c_str(),
             static_cast<unsigned long long>(generation_), device_->guest_id(),
             static_cast<unsigned long long>(device_->features()));
    if (events_.on_connected)
        events_.on_connected(generation_ == 1);
    return true;
}

void DeviceLink::lose() {
    if (!device_)
        return;
    VDM_WARN("device %s lost; clients keep running, reconnecting", path_.c_str());
    if (events_.on_lost)
        events_.on_lost();
    // Inside dispatch() only on_lost may destroy the Device; removing the fd source
    // from its own callback is allowed by libwayland.
    fd_source_.reset();
    device_.reset();
    backoff_ms_ = kFirstBackoffMs;
    schedule_retry();
}

void DeviceLink::schedule_retry() {
    if (retry_timer_)
        wl_event_source_timer_update(retry_timer_.get(), backoff_ms_);
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
}

int DeviceLink::handle_fd(int /*fd*/, uint32_t mask, void* data) {
    auto* self = static_cast<DeviceLink*>(data);
    if (!self->device_)
        return 0;
    const int handled = self->device_->dispatch();
    if (handled < 0 || (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR))) {
        // dispatch() reports loss through on_lost; this covers a hang-up it missed.
        if (self->device_ && !self->device_->connected())
            self->lose();
        return 0;
    }
    if (handled > 0 && self->events_.on_dispatched)
        self->events_.on_dispatched();
    return 0;
}

int DeviceLink::handle_retry(void* data) {
    auto* self = static_cast<DeviceLink*>(data);
    if (!self->device_ && !self->try_connect())
        self->schedule_retry();
    return 0;
}

} // namespace vdmabuf::compositor
