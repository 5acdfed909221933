// ctrlq: the interactive-session requests (§6.5-§6.7). They change no session state
// the device checks later; each accepted one goes to the hub after its RESP_OK.
#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstring>

namespace vdmabuf::backend {
namespace {

template <typename T>
T parse(const std::vector<uint8_t>& buf, size_t len) {
    T out{};
    std::memcpy(&out, buf.data(), std::min(len, sizeof(T)));
    return out;
}

} // namespace

ValidationResult GuestSession::validate_session_request(uint32_t type, size_t len) const {
    switch (type) {
    case VDMABUF_CMD_OUTPUT:
        return validate_output(parse<vdmabuf_cmd_output>(request_, len), len, VDMABUF_MAX_OUTPUTS);
    case VDMABUF_CMD_CURSOR_SET:
        return validate_cursor_set(parse<vdmabuf_cmd_cursor_set>(request_, len), len,
                                   VDMABUF_MAX_OUTPUTS);
    case VDMABUF_CMD_CURSOR_MOVE:
        return validate_cursor_move(parse<vdmabuf_cmd_cursor_move>(request_, len), len,
                                    VDMABUF_MAX_OUTPUTS);
    default: return {VDMABUF_RESP_ERR_MALFORMED, 0};
    }
}

void GuestSession::apply_session_request(uint32_t type, size_t len) {
    switch (type) {
    case VDMABUF_CMD_OUTPUT: {
        const auto cmd = parse<vdmabuf_cmd_output>(request_, len);
        GuestOutput o;
        o.output = cmd.output;
        o.flags = cmd.flags;
        o.width = cmd.width;
        o.height = cmd.height;
        o.refresh_mhz = cmd.refresh_mhz;
        std::memcpy(o.name.data(), cmd.name, o.name.size());
        ++counters_.outputs;
        VDM_DEBUG("guest %u: OUTPUT %u %s %ux%u@%u", ids_.guest, o.output,
                  o.flags ? "connected" : "gone", o.width, o.height, o.refresh_mhz);
        hub_.output_changed(*this, o);
        return;
    }
    case VDMABUF_CMD_CURSOR_SET: {
        const auto cmd = parse<vdmabuf_cmd_cursor_set>(request_, len);
        ++counters_.cursor_images;
        hub_.cursor_image(*this, {cmd.output, cmd.width, cmd.height, cmd.hotspot_x, cmd.hotspot_y,
                                  request_.data() + sizeof cmd});
        return;
    }
    case VDMABUF_CMD_CURSOR_MOVE: {
        const auto cmd = parse<vdmabuf_cmd_cursor_move>(request_, len);
        ++counters_.cursor_moves;
        hub_.cursor_moved(*this, {cmd.output, static_cast<int32_t>(cmd.x),
                                  static_cast<int32_t>(cmd.y), cmd.visible != 0});
        return;
    }
    default: return;
    }
}

} // namespace vdmabuf::backend
