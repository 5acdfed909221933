#include "input/keys.hpp"

#include <vdmabuf_wire.h>

#include <libevdev/libevdev.h>
#include <linux/input-event-codes.h>

#include <charconv>
#include <cstdlib>

namespace vdmabuf::viewer {
namespace {

struct AsciiKey {
    char plain, shifted;
    uint32_t code;
};

// The US layout's printable keys: what each key types without and with Shift.
constexpr AsciiKey kUsKeys[] = {
    {'1', '!', KEY_1}, {'2', '@', KEY_2}, {'3', '#', KEY_3}, {'4', '$', KEY_4},
    {'5', '%', KEY_5}, {'6', '^', KEY_6}, {'7', '&', KEY_7}, {'8', '*', KEY_8},
    {'9', '(', KEY_9}, {'0', ')', KEY_0}, {'-', '_', KEY_MINUS}, {'=', '+', KEY_EQUAL},
    {'q', 'Q', KEY_Q}, {'w', 'W', KEY_W}, {'e', 'E', KEY_E}, {'r', 'R', KEY_R},
    {'t', 'T', KEY_T}, {'y', 'Y', KEY_Y}, {'u', 'U', KEY_U}, {'i', 'I', KEY_I},
    {'o', 'O', KEY_O}, {'p', 'P', KEY_P}, {'[', '{', KEY_LEFTBRACE}, {']', '}', KEY_RIGHTBRACE},
    {'a', 'A', KEY_A}, {'s', 'S', KEY_S}, {'d', 'D', KEY_D}, {'f', 'F', KEY_F},
    {'g', 'G', KEY_G}, {'h', 'H', KEY_H}, {'j', 'J', KEY_J}, {'k', 'K', KEY_K},
    {'l', 'L', KEY_L}, {';', ':', KEY_SEMICOLON}, {'\'', '"', KEY_APOSTROPHE},
    {'`', '~', KEY_GRAVE}, {'\\', '|', KEY_BACKSLASH}, {'z', 'Z', KEY_Z}, {'x', 'X', KEY_X},
    {'c', 'C', KEY_C}, {'v', 'V', KEY_V}, {'b', 'B', KEY_B}, {'n', 'N', KEY_N},
    {'m', 'M', KEY_M}, {',', '<', KEY_COMMA}, {'.', '>', KEY_DOT}, {'/', '?', KEY_SLASH},
    {' ', ' ', KEY_SPACE}, {'\n', '\n', KEY_ENTER}, {'\t', '\t', KEY_TAB},
};

} // namespace

std::optional<UsKey> us_key_for(char c) {
    for (const AsciiKey& k : kUsKeys) {
        if (k.plain == c)
            return UsKey{k.code, false};
        if (k.shifted == c)
            return UsKey{k.code, true};
    }
    return std::nullopt;
}

std::optional<uint32_t> key_code_from_name(std::string_view name) {
    uint32_t code = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), code);
    if (ec == std::errc() && end == name.data() + name.size())
        return code <= KEY_MAX ? std::optional(code) : std::nullopt;
    int c = libevdev_event_code_from_name_n(EV_KEY, name.data(), name.size());
    if (c < 0)
        return std::nullopt;
    return uint32_t(c);
}

std::optional<KeymapName> parse_keymap(std::string_view text) {
    KeymapName k;
    size_t colon = text.find(':');
    k.layout = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos)
        k.variant = std::string(text.substr(colon + 1));
    // NUL-padded fields: the name must leave room for at least one NUL.
    if (k.layout.empty() || k.layout.size() >= VDMABUF_KEYMAP_NAME_LEN ||
        k.variant.size() >= VDMABUF_KEYMAP_NAME_LEN)
        return std::nullopt;
    return k;
}

KeymapName environment_keymap() {
    const char* layout = std::getenv("XKB_DEFAULT_LAYOUT");
    const char* variant = std::getenv("XKB_DEFAULT_VARIANT");
    if (layout && *layout) {
        std::string text = std::string(layout) + (variant && *variant ? ":" + std::string(variant) : "");
        if (auto k = parse_keymap(text))
            return *k;
    }
    return {"us", ""};
}

} // namespace vdmabuf::viewer
