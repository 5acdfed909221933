#include "wire_parse.hpp"

#include <vdmabuf/shared/device_event.hpp>

#include <cstring>

namespace vdmabuf::frontend {

ParsedResponse parse_response(const uint8_t* bytes, uint32_t len, uint32_t request_type,
                              uint64_t request_tag, bool check_echo) {
    ParsedResponse out;
    vdmabuf_resp resp;
    if (len < sizeof resp)
        return out;
    std::memcpy(&resp, bytes, sizeof resp);
    if (resp.hdr.flags != 0 || (check_echo && resp.hdr.tag != request_tag))
        return out;
    const uint32_t type = resp.hdr.type;
    if (type == VDMABUF_RESP_OK || type == VDMABUF_RESP_OK_HELLO) {
        // For raw requests the expected type is whatever the bytes claimed.
        const bool hello = request_type == VDMABUF_CMD_HELLO;
        if (check_echo && hello != (type == VDMABUF_RESP_OK_HELLO))
            return out;
        out.status = ResponseStatus::ok;
        return out;
    }
    if ((type & 0xff00u) == 0x1200u) {
        if (check_echo && resp.request != request_type)
            return out;
        out.status = ResponseStatus::error;
        out.code = type;
        out.detail = resp.detail;
    }
    return out;
}

bool parse_hello(const uint8_t* bytes, uint32_t len, HelloInfo& out) {
    vdmabuf_resp_hello r;
    if (len != sizeof r)
        return false;
    std::memcpy(&r, bytes, sizeof r);
    if (r.hdr.type != VDMABUF_RESP_OK_HELLO || r.magic != VDMABUF_MAGIC ||
        r.version != VDMABUF_VERSION || r.max_buffers == 0 || r.max_extents == 0)
        return false;
    out = {r.guest, r.key, r.max_buffers, r.max_extents, r.max_damage, r.max_outputs};
    return true;
}

ParsedEvent parse_event(const uint8_t* bytes, uint32_t len, uint32_t guest, uint64_t key,
                        uint64_t features) {
    ParsedEvent out;
    vdmabuf_hdr hdr;
    if (len < sizeof hdr)
        return out;
    std::memcpy(&hdr, bytes, sizeof hdr);
    out.type = hdr.type;
    if (hdr.flags != 0 || hdr.tag != 0)
        return out;
    switch (hdr.type) {
    case VDMABUF_EVT_RELEASE: {
        if (len != sizeof out.release)
            return out;
        std::memcpy(&out.release, bytes, sizeof out.release);
        const vdmabuf_id& id = out.release.id;
        // Reasons are passed through: any reason means the buffer is free again.
        if (id.guest != guest || id.key != key || id.counter == 0 ||
            out.release.output >= VDMABUF_MAX_OUTPUTS)
            return out;
        out.kind = EventKind::release;
        return out;
    }
    case VDMABUF_EVT_REFRESH: {
        if (len != sizeof out.refresh)
            return out;
        std::memcpy(&out.refresh, bytes, sizeof out.refresh);
        const uint32_t output = out.refresh.output;
        if (output >= VDMABUF_MAX_OUTPUTS && output != VDMABUF_OUTPUT_ALL)
            return out;
        out.kind = EventKind::refresh;
        return out;
    }
    case VDMABUF_EVT_INPUT:
    case VDMABUF_EVT_KEYMAP:
    case VDMABUF_EVT_MODE:
    case VDMABUF_EVT_HOTPLUG: {
        // Not negotiated: the device must not send it; ignore it as an old driver would.
        if (!(features & (1ull << event_feature(hdr.type)))) {
            out.kind = EventKind::unknown;
            return out;
        }
        if (!check_interactive_event(bytes, len, VDMABUF_MAX_OUTPUTS).ok())
            return out;
        switch (hdr.type) {
        case VDMABUF_EVT_INPUT:
            std::memcpy(&out.input, bytes, sizeof out.input);
            out.kind = EventKind::input;
            break;
        case VDMABUF_EVT_KEYMAP:
            std::memcpy(&out.keymap, bytes, sizeof out.keymap);
            out.kind = EventKind::keymap;
            break;
        case VDMABUF_EVT_MODE:
            std::memcpy(&out.mode, bytes, sizeof out.mode);
            out.kind = EventKind::mode;
            break;
        default:
            std::memcpy(&out.hotplug, bytes, sizeof out.hotplug);
            out.kind = EventKind::hotplug;
            break;
        }
        return out;
    }
    default:
        // Later versions add event types behind feature bits (§2): skip, don't fail.
        out.kind = (hdr.type & 0xff00u) == 0x2100u ? EventKind::unknown : EventKind::invalid;
        return out;
    }
}

} // namespace vdmabuf::frontend
