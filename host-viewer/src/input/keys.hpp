// Keyboard helpers for the test input path and the keymap announcement:
// US-layout ASCII to evdev key presses, evdev key names, and the xkb layout
// the viewer tells the guest to read its keycodes with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vdmabuf::viewer {

// An ASCII character as a key on a US (pc105) keyboard: its evdev code and
// whether Shift is held. nullopt for characters that keyboard has no key for.
struct UsKey {
    uint32_t code = 0;
    bool shift = false;
};
[[nodiscard]] std::optional<UsKey> us_key_for(char c);

// "KEY_ENTER", "BTN_LEFT" or a decimal code; nullopt when unknown.
[[nodiscard]] std::optional<uint32_t> key_code_from_name(std::string_view name);

struct KeymapName {
    std::string layout, variant;
};
// "de" or "de:nodeadkeys"; nullopt when the layout is empty or a part is too
// long for the KEYMAP event (VDMABUF_KEYMAP_NAME_LEN).
[[nodiscard]] std::optional<KeymapName> parse_keymap(std::string_view text);
// The host's default when the presenter knows none: $XKB_DEFAULT_LAYOUT
// (+ $XKB_DEFAULT_VARIANT), else "us".
[[nodiscard]] KeymapName environment_keymap();

} // namespace vdmabuf::viewer
