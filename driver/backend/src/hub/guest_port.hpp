// The guest as the consumer half sees it. ConsumerHub wraps each GuestSession
// in one of these, so the hub's accounting can be driven by a fake in tests
// without a vhost-user connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "model.hpp"

namespace vdmabuf::backend {

class GuestPort {
public:
    virtual ~GuestPort() = default;

    [[nodiscard]] virtual uint32_t id() const = 0;
    [[nodiscard]] virtual const std::string& name() const = 0;
    [[nodiscard]] virtual const Buffer* find_buffer(const BufferId& id) const = 0;
    virtual void for_each_buffer(const std::function<void(const Buffer&)>& fn) const = 0;
    // Queues the device RELEASE event for one presentation.
    virtual void release(const BufferId& id, uint64_t sequence, uint32_t output,
                         uint32_t reason) = 0;
    // Queues a REFRESH event (output or VDMABUF_OUTPUT_ALL).
    virtual void refresh(uint32_t output) = 0;
    // Negotiated device features (bits 1 << VDMABUF_F_*).
    [[nodiscard]] virtual uint64_t features() const = 0;
    // Queues a validated INPUT/KEYMAP/MODE/HOTPLUG event of a negotiated feature.
    virtual void queue_event(const void* event, size_t len) = 0;
    [[nodiscard]] virtual const GuestCounters& counters() const = 0;
    [[nodiscard]] virtual size_t presentations_in_flight() const = 0;
};

} // namespace vdmabuf::backend
