// The compositor's connection to the vdmabuf device: a frontend::Device driven from
// the wl_event_loop (fd source -> dispatch()), and what happens when it goes away.
//
// Reconnect design: when the device is lost (vdmabufd exits or restarts) the link
// logs it once, drops the Device and retries Device::open on a wl_event_loop timer
// with exponential backoff (100 ms doubling to 5 s). Each successful open starts a
// new *generation*: a new session with a new guest memory, so buffers of an older
// generation cannot be exported again. The Server answers on_connected by dropping
// every output's swapchain (the buffers are reallocated in the new guest memory on
// the next frame) and repainting everything with full damage. The clients never
// notice: while the link is down, frames are skipped but frame callbacks keep coming.
#pragma once

#include "wlr/handles.hpp"

#include <vdmabuf/frontend/device.hpp>

#include <functional>
#include <memory>
#include <string>

namespace vdmabuf::compositor {

class DeviceLink {
public:
    struct Events {
        std::function<void(bool first)> on_connected;
        std::function<void()> on_lost; // the Device is still alive during the call
        std::function<void(const vdmabuf_id&, uint64_t seq, uint32_t output, uint32_t reason)>
            on_release;
        std::function<void(uint32_t output)> on_refresh;
        std::function<void(uint32_t request_type, uint32_t error_code, uint64_t tag)> on_error;
        std::function<void()> on_dispatched; // after every dispatch that handled something
        // The interactive session (device spec §8.3-§8.6), when negotiated.
        std::function<void(const frontend::InputEvent&)> on_input;
        std::function<void(std::string_view layout, std::string_view variant)> on_keymap;
        std::function<void(uint32_t output, uint32_t width, uint32_t height,
                           uint32_t refresh_mhz)>
            on_mode;
        std::function<void(uint32_t output, bool connected, uint32_t width, uint32_t height,
                           uint32_t refresh_mhz)>
            on_hotplug;
    };

    DeviceLink(wl_event_loop* loop, std::string path, frontend::DeviceOptions options,
               Events events);
    ~DeviceLink();
    DeviceLink(const DeviceLink&) = delete;
    DeviceLink& operator=(const DeviceLink&) = delete;

    void set_on_connected(std::function<void(bool first)> fn) { events_.on_connected = std::move(fn); }

    // First attempt, now (blocking for at most the HELLO timeout); retries on failure.
    void start();

    // Ends the session for good (shutdown): no callbacks, no retries.
    void close();

    // nullptr while disconnected.
    [[nodiscard]] frontend::Device* device() { return device_.get(); }
    [[nodiscard]] uint64_t generation() const { return generation_; }
    [[nodiscard]] const std::string& path() const { return path_; }

    static constexpr int kFirstBackoffMs = 100;
    static constexpr int kMaxBackoffMs = 500; // a restarted vdmabufd is found within 0.5 s

private:
    bool try_connect();
    void lose();
    void schedule_retry();
    static int handle_fd(int fd, uint32_t mask, void* data);
    static int handle_retry(void* data);

    wl_event_loop* loop_;
    std::string path_;
    frontend::DeviceOptions options_;
    Events events_;
    // Sources before the device: the fd source must go before the fd closes.
    std::unique_ptr<frontend::Device> device_;
    WlEventSource fd_source_;
    WlEventSource retry_timer_;
    uint64_t generation_ = 0;
    int backoff_ms_ = kFirstBackoffMs;
    bool failing_logged_ = false;
};

} // namespace vdmabuf::compositor
