#include <vdmabuf/shared/device_event.hpp>

#include <cstring>

namespace vdmabuf {

namespace {

template <typename T>
bool copy_exact(const uint8_t* bytes, size_t len, T& out) {
    if (len != sizeof(T))
        return false;
    std::memcpy(&out, bytes, sizeof(T));
    return true;
}

constexpr EventCheck bad(const char* why, size_t offset) {
    return {why, static_cast<uint32_t>(offset)};
}

bool dimension_ok(uint32_t v) {
    return v >= 1 && v <= VDMABUF_MAX_DIMENSION;
}

EventCheck check_input(const vdmabuf_evt_input& e, uint32_t max_outputs) {
    using E = vdmabuf_evt_input;
    if (e.output >= max_outputs)
        return bad("INPUT output out of range", offsetof(E, output));
    if (e.padding[0] != 0 || e.padding[1] != 0)
        return bad("INPUT padding not zero", offsetof(E, padding));
    const bool b_is_state = e.b == 0 || e.b == 1;
    switch (e.kind) {
    case VDMABUF_INPUT_KEY:
    case VDMABUF_INPUT_BUTTON:
        if (!b_is_state)
            return bad("INPUT key/button state not 0 or 1", offsetof(E, b));
        break;
    case VDMABUF_INPUT_MODIFIERS: return {};
    case VDMABUF_INPUT_MOTION:
    case VDMABUF_INPUT_ENTER: break;
    case VDMABUF_INPUT_AXIS:
        if (e.a > 1)
            return bad("INPUT axis not 0 or 1", offsetof(E, a));
        if (e.b > 3)
            return bad("INPUT axis source out of range", offsetof(E, b));
        return {};
    case VDMABUF_INPUT_FRAME:
    case VDMABUF_INPUT_LEAVE:
        if (e.a != 0)
            return bad("INPUT unused field not zero", offsetof(E, a));
        if (e.b != 0)
            return bad("INPUT unused field not zero", offsetof(E, b));
        break;
    default: return bad("INPUT kind unknown", offsetof(E, kind));
    }
    if (e.c != 0)
        return bad("INPUT unused field not zero", offsetof(E, c));
    if (e.d != 0)
        return bad("INPUT unused field not zero", offsetof(E, d));
    return {};
}

EventCheck check_keymap(const vdmabuf_evt_keymap& e) {
    uint32_t at = 0;
    if (e.layout[0] == 0)
        return bad("KEYMAP layout empty", offsetof(vdmabuf_evt_keymap, layout));
    if (!check_name(e.layout, sizeof e.layout, at))
        return bad("KEYMAP layout not printable and NUL-padded",
                   offsetof(vdmabuf_evt_keymap, layout) + at);
    if (!check_name(e.variant, sizeof e.variant, at))
        return bad("KEYMAP variant not printable and NUL-padded",
                   offsetof(vdmabuf_evt_keymap, variant) + at);
    return {};
}

EventCheck check_mode(const vdmabuf_evt_mode& e, uint32_t max_outputs) {
    using E = vdmabuf_evt_mode;
    if (e.output >= max_outputs)
        return bad("MODE output out of range", offsetof(E, output));
    if (!dimension_ok(e.width))
        return bad("MODE width out of range", offsetof(E, width));
    if (!dimension_ok(e.height))
        return bad("MODE height out of range", offsetof(E, height));
    return {};
}

EventCheck check_hotplug(const vdmabuf_evt_hotplug& e, uint32_t max_outputs) {
    using E = vdmabuf_evt_hotplug;
    if (e.output >= max_outputs)
        return bad("HOTPLUG output out of range", offsetof(E, output));
    if (e.connected > 1)
        return bad("HOTPLUG connected not 0 or 1", offsetof(E, connected));
    if (e.connected) {
        if (!dimension_ok(e.width))
            return bad("HOTPLUG width out of range", offsetof(E, width));
        if (!dimension_ok(e.height))
            return bad("HOTPLUG height out of range", offsetof(E, height));
    } else {
        if (e.width != 0)
            return bad("HOTPLUG removal with a width", offsetof(E, width));
        if (e.height != 0)
            return bad("HOTPLUG removal with a height", offsetof(E, height));
        if (e.refresh_mhz != 0)
            return bad("HOTPLUG removal with a refresh rate", offsetof(E, refresh_mhz));
    }
    if (e.padding != 0)
        return bad("HOTPLUG padding not zero", offsetof(E, padding));
    return {};
}

} // namespace

uint32_t event_feature(uint32_t type) noexcept {
    switch (type) {
    case VDMABUF_EVT_INPUT:
    case VDMABUF_EVT_KEYMAP: return VDMABUF_F_INPUT;
    case VDMABUF_EVT_MODE: return VDMABUF_F_MODE;
    case VDMABUF_EVT_HOTPLUG: return VDMABUF_F_HOTPLUG;
    default: return kNoFeature;
    }
}

bool check_name(const uint8_t* name, size_t len, uint32_t& offset) noexcept {
    bool ended = false;
    for (size_t i = 0; i < len; ++i) {
        const uint8_t c = name[i];
        const bool ok = ended ? c == 0 : (c == 0 || (c >= 0x21 && c <= 0x7e));
        if (!ok) {
            offset = static_cast<uint32_t>(i);
            return false;
        }
        ended = ended || c == 0;
    }
    return true;
}

EventCheck check_interactive_event(const uint8_t* bytes, size_t len, uint32_t max_outputs) noexcept {
    vdmabuf_hdr hdr;
    if (len < sizeof hdr)
        return bad("event shorter than its header", 0);
    std::memcpy(&hdr, bytes, sizeof hdr);
    if (hdr.flags != 0)
        return bad("event flags not zero", offsetof(vdmabuf_hdr, flags));
    if (hdr.tag != 0)
        return bad("event tag not zero", offsetof(vdmabuf_hdr, tag));
    switch (hdr.type) {
    case VDMABUF_EVT_INPUT: {
        vdmabuf_evt_input e;
        return copy_exact(bytes, len, e) ? check_input(e, max_outputs) : bad("INPUT size", 0);
    }
    case VDMABUF_EVT_KEYMAP: {
        vdmabuf_evt_keymap e;
        return copy_exact(bytes, len, e) ? check_keymap(e) : bad("KEYMAP size", 0);
    }
    case VDMABUF_EVT_MODE: {
        vdmabuf_evt_mode e;
        return copy_exact(bytes, len, e) ? check_mode(e, max_outputs) : bad("MODE size", 0);
    }
    case VDMABUF_EVT_HOTPLUG: {
        vdmabuf_evt_hotplug e;
        return copy_exact(bytes, len, e) ? check_hotplug(e, max_outputs) : bad("HOTPLUG size", 0);
    }
    default: return bad("not an interactive event type", offsetof(vdmabuf_hdr, type));
    }
}

} // namespace vdmabuf
