#define VDM_LOG_SCOPE "guest-dev"
#include "session_messages.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstring>

namespace vdmabuf::frontend {

namespace {

bool invalid() {
    errno = EINVAL;
    return false;
}

// A NUL-padded fixed-size wire string, up to its first NUL.
template <size_t N>
std::string_view fixed_string(const uint8_t (&field)[N]) {
    size_t n = 0;
    while (n < N && field[n] != 0)
        ++n;
    return {reinterpret_cast<const char*>(field), n};
}

} // namespace

bool printable_name(std::string_view name) {
    if (name.size() > VDMABUF_NAME_LEN)
        return false;
    for (char c : name)
        if (c < 0x21 || c > 0x7e)
            return false;
    return true;
}

bool build_output(uint32_t max_outputs, uint32_t output, bool connected, uint32_t width,
                  uint32_t height, uint32_t refresh_mhz, std::string_view name,
                  vdmabuf_cmd_output& out) {
    const bool size_ok = connected ? width > 0 && width <= VDMABUF_MAX_DIMENSION && height > 0 &&
                                         height <= VDMABUF_MAX_DIMENSION
                                   : width == 0 && height == 0 && refresh_mhz == 0;
    if (output >= max_outputs || !size_ok || !printable_name(name))
        return invalid();
    out = {};
    out.hdr = {VDMABUF_CMD_OUTPUT, 0, 0};
    out.output = output;
    out.flags = connected ? VDMABUF_OUTPUT_CONNECTED : 0;
    out.width = width;
    out.height = height;
    out.refresh_mhz = refresh_mhz;
    if (!name.empty())
        std::memcpy(out.name, name.data(), name.size());
    return true;
}

bool build_cursor_set(uint32_t max_outputs, uint32_t output, uint32_t width, uint32_t height,
                      uint32_t hotspot_x, uint32_t hotspot_y, std::span<const uint8_t> argb_pixels,
                      vdmabuf_cmd_cursor_set& out) {
    const bool hidden = width == 0 && height == 0;
    const bool size_ok = hidden ? hotspot_x == 0 && hotspot_y == 0
                                : width > 0 && width <= VDMABUF_MAX_CURSOR && height > 0 &&
                                      height <= VDMABUF_MAX_CURSOR && hotspot_x < width &&
                                      hotspot_y < height;
    if (output >= max_outputs || !size_ok || argb_pixels.size() != size_t{width} * height * 4)
        return invalid();
    out = {};
    out.hdr = {VDMABUF_CMD_CURSOR_SET, 0, 0};
    out.output = output;
    out.width = width;
    out.height = height;
    out.hotspot_x = hotspot_x;
    out.hotspot_y = hotspot_y;
    return true;
}

bool build_cursor_move(uint32_t max_outputs, uint32_t output, int32_t x, int32_t y, bool visible,
                       vdmabuf_cmd_cursor_move& out) {
    if (output >= max_outputs)
        return invalid();
    out = {};
    out.hdr = {VDMABUF_CMD_CURSOR_MOVE, 0, 0};
    out.output = output;
    out.x = static_cast<uint32_t>(x);
    out.y = static_cast<uint32_t>(y);
    out.visible = visible ? 1 : 0;
    return true;
}

void deliver_event(const ParsedEvent& e, uint32_t len, const Callbacks& callbacks,
                   DeviceCounters& counters) {
    switch (e.kind) {
    case EventKind::release:
        ++counters.releases;
        if (callbacks.on_release)
            callbacks.on_release(e.release.id, e.release.sequence, e.release.output,
                                 e.release.reason);
        return;
    case EventKind::refresh:
        ++counters.refreshes;
        if (callbacks.on_refresh)
            callbacks.on_refresh(e.refresh.output);
        return;
    case EventKind::input: {
        ++counters.inputs;
        const vdmabuf_evt_input& w = e.input;
        if (callbacks.on_input)
            callbacks.on_input({w.output, w.kind, w.time_ns, w.a, w.b, w.c, w.d});
        return;
    }
    case EventKind::keymap:
        ++counters.keymaps;
        if (callbacks.on_keymap)
            callbacks.on_keymap(fixed_string(e.keymap.layout), fixed_string(e.keymap.variant));
        return;
    case EventKind::mode:
        ++counters.modes;
        if (callbacks.on_mode)
            callbacks.on_mode(e.mode.output, e.mode.width, e.mode.height, e.mode.refresh_mhz);
        return;
    case EventKind::hotplug:
        ++counters.hotplugs;
        if (callbacks.on_hotplug)
            callbacks.on_hotplug(e.hotplug.output, e.hotplug.connected != 0, e.hotplug.width,
                                 e.hotplug.height, e.hotplug.refresh_mhz);
        return;
    case EventKind::unknown:
        ++counters.events_unknown;
        VDM_DEBUG("ignoring event type 0x%x", e.type);
        return;
    case EventKind::invalid:
        if (counters.events_invalid++ == 0)
            VDM_WARN("dropping invalid event (type 0x%x, %u bytes); later ones only counted",
                     e.type, len);
        return;
    }
}

} // namespace vdmabuf::frontend
