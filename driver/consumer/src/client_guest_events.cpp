// Client: events for a guest (INPUT, KEYMAP, MODE, HOTPLUG), wrapped in
// GUEST_EVENT; vdmabufd validates them again as device events.
#include <vdmabuf/consumer/client.hpp>

#include "packet_socket.hpp"

#include <cstring>

namespace vdmabuf::consumer {

bool Client::send_guest_event(uint32_t guest, const void* event, size_t size) {
    if (disconnected_ || size > VDMABUF_EVENT_SIZE)
        return false;
    vdmabuf_c_guest_event req{};
    req.hdr.type = VDMABUF_C_GUEST_EVENT;
    req.hdr.size = sizeof req;
    req.hdr.tag = next_tag();
    req.guest = guest;
    std::memcpy(req.event, event, size);
    return sock_->send(&req, sizeof req);
}

bool Client::send_input(uint32_t guest, uint32_t output, uint32_t kind, uint32_t a, uint32_t b,
                        uint32_t c, uint32_t d) {
    vdmabuf_evt_input e{};
    e.hdr.type = VDMABUF_EVT_INPUT;
    e.output = output;
    e.kind = kind;
    e.time_ns = now_ns();
    e.a = a;
    e.b = b;
    e.c = c;
    e.d = d;
    return send_guest_event(guest, &e, sizeof e);
}

bool Client::send_keymap(uint32_t guest, std::string_view layout, std::string_view variant) {
    vdmabuf_evt_keymap e{};
    if (layout.size() >= sizeof e.layout || variant.size() >= sizeof e.variant)
        return false;
    e.hdr.type = VDMABUF_EVT_KEYMAP;
    if (!layout.empty())
        std::memcpy(e.layout, layout.data(), layout.size());
    if (!variant.empty())
        std::memcpy(e.variant, variant.data(), variant.size());
    return send_guest_event(guest, &e, sizeof e);
}

bool Client::request_mode(uint32_t guest, uint32_t output, uint32_t width, uint32_t height,
                          uint32_t refresh_mhz) {
    vdmabuf_evt_mode e{};
    e.hdr.type = VDMABUF_EVT_MODE;
    e.output = output;
    e.width = width;
    e.height = height;
    e.refresh_mhz = refresh_mhz;
    return send_guest_event(guest, &e, sizeof e);
}

bool Client::request_hotplug(uint32_t guest, uint32_t output, bool connected, uint32_t width,
                             uint32_t height, uint32_t refresh_mhz) {
    vdmabuf_evt_hotplug e{};
    e.hdr.type = VDMABUF_EVT_HOTPLUG;
    e.output = output;
    e.connected = connected ? 1 : 0;
    e.width = width;
    e.height = height;
    e.refresh_mhz = refresh_mhz;
    return send_guest_event(guest, &e, sizeof e);
}

} // namespace vdmabuf::consumer
