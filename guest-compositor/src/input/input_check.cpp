#include "input/input_check.hpp"

#include "vdmabuf_wire.h"

namespace vdmabuf::compositor {

namespace {

const char* position_problem(uint32_t x, uint32_t y, uint32_t width, uint32_t height) {
    if (width == 0 || height == 0)
        return "the output has no size";
    if (static_cast<uint64_t>(x) >= static_cast<uint64_t>(width) * 256 ||
        static_cast<uint64_t>(y) >= static_cast<uint64_t>(height) * 256)
        return "position outside the output";
    return nullptr;
}

} // namespace

bool valid_keymap_name(std::string_view name) {
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == ',' || c == '_' || c == '-' || c == '(' || c == ')' || c == '+';
        if (!ok)
            return false;
    }
    return true;
}

const char* input_problem(uint32_t kind, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
                          uint32_t width, uint32_t height) {
    switch (kind) {
    case VDMABUF_INPUT_KEY:
        if (a == 0 || a > kMaxEvdevCode)
            return "keycode out of range";
        if (b > 1)
            return "key state neither 0 nor 1";
        return nullptr;
    case VDMABUF_INPUT_MODIFIERS:
        return nullptr; // masks are checked against the keymap by the seat
    case VDMABUF_INPUT_MOTION:
    case VDMABUF_INPUT_ENTER:
        return position_problem(a, b, width, height);
    case VDMABUF_INPUT_BUTTON:
        // Buttons live in BTN_MISC (0x100) .. KEY_MAX; BTN_LEFT is 0x110.
        if (a < 0x100 || a > kMaxEvdevCode)
            return "button code out of range";
        if (b > 1)
            return "button state neither 0 nor 1";
        return nullptr;
    case VDMABUF_INPUT_AXIS: {
        if (a > 1)
            return "axis neither vertical (0) nor horizontal (1)";
        if (b > 3)
            return "axis source unknown";
        const auto value = static_cast<int32_t>(c);
        const auto discrete = static_cast<int32_t>(d);
        if (value > kMaxAxisValue || value < -kMaxAxisValue)
            return "axis value out of range";
        if (discrete > kMaxAxisDiscrete || discrete < -kMaxAxisDiscrete)
            return "discrete axis steps out of range";
        return nullptr;
    }
    case VDMABUF_INPUT_FRAME:
    case VDMABUF_INPUT_LEAVE:
        return nullptr;
    default:
        return "unknown input kind";
    }
}

} // namespace vdmabuf::compositor
