// The interactive features' messages, the same for every device kind: the
// guest->host requests (OUTPUT, CURSOR_SET, CURSOR_MOVE; §6.5-§6.7) checked
// against the limits the device enforces, so a caller's mistake is an
// immediate EINVAL rather than a later on_error; and the delivery of a parsed
// event to the callbacks.
#pragma once

#include "wire_parse.hpp"

#include <vdmabuf/frontend/device.hpp>

#include <cstdint>
#include <span>
#include <string_view>

namespace vdmabuf::frontend {

// A name the wire takes (HELLO, OUTPUT): printable ASCII, at most 32 bytes.
[[nodiscard]] bool printable_name(std::string_view name);

// Each fills `out` (tag 0: the sender sets it) and returns true, or returns false
// with errno EINVAL.
[[nodiscard]] bool build_output(uint32_t max_outputs, uint32_t output, bool connected,
                                uint32_t width, uint32_t height, uint32_t refresh_mhz,
                                std::string_view name, vdmabuf_cmd_output& out);
// The pixels follow the fixed part on the wire.
[[nodiscard]] bool build_cursor_set(uint32_t max_outputs, uint32_t output, uint32_t width,
                                    uint32_t height, uint32_t hotspot_x, uint32_t hotspot_y,
                                    std::span<const uint8_t> argb_pixels,
                                    vdmabuf_cmd_cursor_set& out);
[[nodiscard]] bool build_cursor_move(uint32_t max_outputs, uint32_t output, int32_t x, int32_t y,
                                     bool visible, vdmabuf_cmd_cursor_move& out);

// Counts an event parse_event() made of `len` bytes and calls its callback.
void deliver_event(const ParsedEvent& e, uint32_t len, const Callbacks& callbacks,
                   DeviceCounters& counters);

} // namespace vdmabuf::frontend
