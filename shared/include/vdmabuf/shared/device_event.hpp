// Validation of the host -> guest interactive events (protocols/vdmabuf-device.md
// §8.3-§8.6: INPUT, KEYMAP, MODE, HOTPLUG), shared by vdmabufd (checking what a
// consumer asks it to queue) and libvdmabuf-guest (checking what the device wrote).
#pragma once

#include "vdmabuf_wire.h"

#include <cstddef>
#include <cstdint>

namespace vdmabuf {

inline constexpr uint32_t kNoFeature = 0xffffffffu;

// The VDMABUF_F_* bit an event type needs; kNoFeature for RELEASE, REFRESH and
// unknown types.
[[nodiscard]] uint32_t event_feature(uint32_t type) noexcept;

struct EventCheck {
    const char* why = nullptr; // nullptr: valid
    uint32_t offset = 0;       // of the offending field
    [[nodiscard]] bool ok() const noexcept { return why == nullptr; }
};

// `bytes` holds `len` bytes starting with a vdmabuf_hdr of type INPUT, KEYMAP, MODE
// or HOTPLUG: exact length, flags and tag 0, every field in range, padding zero,
// names printable ASCII then NUL padding. `max_outputs` bounds output indices.
[[nodiscard]] EventCheck check_interactive_event(const uint8_t* bytes, size_t len,
                                                 uint32_t max_outputs) noexcept;

// Printable ASCII (0x21..0x7e) up to the first NUL, then only NULs. `offset` is
// the first bad byte.
[[nodiscard]] bool check_name(const uint8_t* name, size_t len, uint32_t& offset) noexcept;

} // namespace vdmabuf
