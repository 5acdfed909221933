// Checks of one host INPUT event (device spec §8.3) against what the guest can
// act on. Pure logic (no wlroots), unit-tested in tests/unit/compositor.
//
// libvdmabuf-guest has already checked the message's shape; these checks need the
// compositor's state (the output's size), so they live here. A value outside its
// range is dropped and logged, never clamped into a plausible one.
#pragma once

#include <cstdint>
#include <string_view>

namespace vdmabuf::compositor {

// Upper bounds for what a real device sends; anything past them is garbage.
inline constexpr uint32_t kMaxEvdevCode = 0x2ff;        // KEY_MAX
inline constexpr int32_t kMaxAxisValue = 100000 * 256;  // 100000 wl_pointer units
inline constexpr int32_t kMaxAxisDiscrete = 1000;

// Why the event cannot be used (a static string), or nullptr when it is fine.
// width/height: the size of the event's output in pixels.
[[nodiscard]] const char* input_problem(uint32_t kind, uint32_t a, uint32_t b, uint32_t c,
                                        uint32_t d, uint32_t width, uint32_t height);

// Characters a KEYMAP layout or variant may contain ("us", "de", "us,ru", "dvorak",
// "altgr-intl", "mac(x)"): xkb looks the names up as files, so nothing else.
[[nodiscard]] bool valid_keymap_name(std::string_view name);

// 24.8 fixed point to pixels.
[[nodiscard]] inline double from_fixed(uint32_t v) { return static_cast<double>(v) / 256.0; }
[[nodiscard]] inline double from_fixed_signed(uint32_t v) {
    return static_cast<double>(static_cast<int32_t>(v)) / 256.0;
}

} // namespace vdmabuf::compositor
