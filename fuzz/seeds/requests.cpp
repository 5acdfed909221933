#include "requests.hpp"

#include <drm_fourcc.h>

#include <cstring>

namespace vdmabuf::seeds {

vdmabuf_cmd_hello hello_cmd(const char* name) {
    vdmabuf_cmd_hello h{};
    h.hdr = {VDMABUF_CMD_HELLO, 0, 1};
    h.magic = VDMABUF_MAGIC;
    h.version = VDMABUF_VERSION;
    std::memcpy(h.name, name, std::strlen(name));
    return h;
}

Bytes export_cmd(uint32_t counter, uint64_t gpa, uint32_t n, uint32_t key_guest) {
    vdmabuf_cmd_export c{};
    c.hdr = {VDMABUF_CMD_EXPORT, 0, 10 + counter};
    c.id = {key_guest ? kGuestPlaceholder : 0, counter, key_guest ? kKeyPlaceholder : 0};
    c.fourcc = DRM_FORMAT_XRGB8888;
    c.width = 64;
    c.height = 64;
    c.n_planes = 1;
    c.planes[0] = {0, 256};
    c.size = 16384;
    c.n_extents = n;
    Bytes b = raw(c);
    for (uint32_t i = 0; i < n; ++i) {
        const vdmabuf_extent e{gpa + i * (16384 / n), 16384 / n};
        const Bytes eb = raw(e);
        b.insert(b.end(), eb.begin(), eb.end());
    }
    return b;
}

Bytes present_cmd(uint32_t counter, uint64_t seq, uint32_t output, uint32_t n_damage) {
    vdmabuf_cmd_present p{};
    p.hdr = {VDMABUF_CMD_PRESENT, 0, 100 + seq};
    p.id = {kGuestPlaceholder, counter, kKeyPlaceholder};
    p.output = output;
    p.sequence = seq;
    p.guest_time_ns = 1000 * seq;
    p.n_damage = n_damage;
    for (uint32_t i = 0; i < n_damage && i < VDMABUF_MAX_DAMAGE; ++i)
        p.damage[i] = {i * 4, i * 4, 4, 4};
    return raw(p);
}

Bytes unexport_cmd(uint32_t counter) {
    vdmabuf_cmd_unexport u{};
    u.hdr = {VDMABUF_CMD_UNEXPORT, 0, 200 + counter};
    u.id = {kGuestPlaceholder, counter, kKeyPlaceholder};
    return raw(u);
}

Bytes output_cmd(uint32_t output, uint32_t flags) {
    vdmabuf_cmd_output o{};
    o.hdr = {VDMABUF_CMD_OUTPUT, 0, 300};
    o.output = output;
    o.flags = flags;
    o.width = flags ? 1920 : 0;
    o.height = flags ? 1080 : 0;
    o.refresh_mhz = 60000;
    std::memcpy(o.name, "HEADLESS-1", 10);
    return raw(o);
}

Bytes cursor_set_cmd(uint32_t w, uint32_t h) {
    vdmabuf_cmd_cursor_set c{};
    c.hdr = {VDMABUF_CMD_CURSOR_SET, 0, 400};
    c.width = w;
    c.height = h;
    c.hotspot_x = w / 2;
    c.hotspot_y = h / 2;
    Bytes b = raw(c);
    b.resize(b.size() + size_t{w} * h * 4, 0x80);
    return b;
}

Bytes cursor_move_cmd(int32_t x, int32_t y) {
    vdmabuf_cmd_cursor_move m{};
    m.hdr = {VDMABUF_CMD_CURSOR_MOVE, 0, 401};
    m.x = static_cast<uint32_t>(x);
    m.y = static_cast<uint32_t>(y);
    m.visible = 1;
    return raw(m);
}

} // namespace vdmabuf::seeds
