// What a consumer hears from vdmabufd (protocols/vdmabuf-consumer.md §3), in
// host byte order and validated, plus the callbacks Client::dispatch() calls.
#pragma once

#include <vdmabuf_consumer.h>

#include <cstdint>
#include <functional>
#include <span>
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

// OUTPUT: a guest output appeared or changed (flags VDMABUF_OUTPUT_CONNECTED) or
// went away (flags 0, sizes 0). Replayed after connecting. `name` is valid during
// the callback only.
struct OutputInfo {
    uint32_t guest = 0, output = 0, flags = 0, width = 0, height = 0, refresh_mhz = 0;
    std::string_view name;
};

// CURSOR_IMAGE: width * height premultiplied ARGB8888 pixels, rows tightly packed;
// 0x0 (no pixels) hides the cursor. `pixels` is valid during the callback only.
struct CursorImage {
    uint32_t guest = 0, output = 0, width = 0, height = 0, hotspot_x = 0, hotspot_y = 0;
    std::span<const uint8_t> pixels;
};

// CURSOR_MOVE: the hotspot's position in output pixels (may lie outside it).
struct CursorMove {
    uint32_t guest = 0, output = 0;
    int32_t x = 0, y = 0;
    bool visible = false;
};

// Unset members are skipped. Callbacks may call Client::release(), import()
// and stats() (events those calls receive are delivered later, in order).
struct Callbacks {
    std::function<void(uint32_t guest, std::string_view name)> on_guest_new;
    std::function<void(uint32_t guest)> on_guest_gone;
    std::function<void(const BufferInfo&)> on_buffer_new;
    std::function<void(const PresentEvent&)> on_present;
    std::function<void(const vdmabuf_id&)> on_buffer_gone;
    std::function<void(const OutputInfo&)> on_output;
    std::function<void(const CursorImage&)> on_cursor_image;
    std::function<void(const CursorMove&)> on_cursor_move;
    // An ERROR not answering a synchronous call (e.g. NOT_HELD for a release).
    std::function<void(uint32_t request, uint32_t code, uint64_t tag)> on_error;
    std::function<void()> on_disconnect;
};

[[nodiscard]] inline bool same_id(const vdmabuf_id& a, const vdmabuf_id& b) noexcept {
    return a.guest == b.guest && a.counter == b.counter && a.key == b.key;
}

} // namespace vdmabuf::consumer
