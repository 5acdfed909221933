// What a consumer hears from vdmabufd (protocols/vdmabuf-consumer.md §3), in
// host byte order and validated, plus the callbacks Client::dispatch() calls.
#pragma once

#include <vdmabuf_consumer.h>

#include <cstdint>
#include <functional>
#include <string_view>

namespace vdmabuf::consumer {

// BUFFER_NEW: the whole layout of one guest buffer.
struct BufferInfo {
    vdmabuf_id id{};
    uint32_t fourcc = 0;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t n_planes = 0;
    uint64_t modifier = 0;
    vdmabuf_plane planes[VDMABUF_MAX_PLANES]{};
    uint64_t size = 0;
};

// PRESENT: receiving one means this consumer holds (id, sequence) and must
// Client::release() it exactly once.
struct PresentEvent {
    vdmabuf_id id{};
    uint32_t output = 0;
    uint64_t sequence = 0;
    uint64_t guest_time_ns = 0;
    uint64_t host_time_ns = 0; // daemon CLOCK_MONOTONIC when it took the PRESENT
    uint32_t flags = 0;        // VDMABUF_C_PRESENT_COALESCED
    uint32_t dropped = 0;
    uint32_t n_damage = 0; // 0: the whole buffer changed
    vdmabuf_rect damage[VDMABUF_MAX_DAMAGE]{};
};

// Unset members are skipped. Callbacks may call Client::release(), import()
// and stats() (events those calls receive are delivered later, in order).
struct Callbacks {
    std::function<void(uint32_t guest, std::string_view name)> on_guest_new;
    std::function<void(uint32_t guest)> on_guest_gone;
    std::function<void(const BufferInfo&)> on_buffer_new;
    std::function<void(const PresentEvent&)> on_present;
    std::function<void(const vdmabuf_id&)> on_buffer_gone;
    // An ERROR not answering a synchronous call (e.g. NOT_HELD for a release).
    std::function<void(uint32_t request, uint32_t code, uint64_t tag)> on_error;
    std::function<void()> on_disconnect;
};

[[nodiscard]] inline bool same_id(const vdmabuf_id& a, const vdmabuf_id& b) noexcept {
    return a.guest == b.guest && a.counter == b.counter && a.key == b.key;
}

} // namespace vdmabuf::consumer
