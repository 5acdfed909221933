// Guest requests (protocols/vdmabuf_wire.h) as the tests build them by hand:
// valid ones to send as they are, or to spoil one field at a time. Header only,
// shared by the hostile, integration (device session) and backend unit tests.
#pragma once

#include "vdmabuf_wire.h"

#include <drm_fourcc.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace vdmabuf::testwire {

inline vdmabuf_cmd_hello hello_cmd(std::string_view name, uint64_t tag = 0) {
    vdmabuf_cmd_hello h{};
    h.hdr = {VDMABUF_CMD_HELLO, 0, tag};
    h.magic = VDMABUF_MAGIC;
    h.version = VDMABUF_VERSION;
    std::memcpy(h.name, name.data(), std::min<size_t>(name.size(), VDMABUF_NAME_LEN));
    return h;
}

// A single-plane XRGB8888 EXPORT of width x height (stride width * 4, size
// rounded up to whole pages); the caller appends n_extents extents.
inline vdmabuf_cmd_export xrgb_export_cmd(vdmabuf_id id, uint64_t tag, uint32_t width = 64,
                                          uint32_t height = 64, uint32_t n_extents = 1) {
    vdmabuf_cmd_export e{};
    e.hdr = {VDMABUF_CMD_EXPORT, 0, tag};
    e.id = id;
    e.fourcc = DRM_FORMAT_XRGB8888;
    e.width = width;
    e.height = height;
    e.n_planes = 1;
    e.planes[0] = {0, width * 4};
    e.size = (uint64_t{width} * 4 * height + 4095) & ~uint64_t{4095};
    e.n_extents = n_extents;
    return e;
}

// The EXPORT as sent: the fixed part, then the extents.
inline std::vector<uint8_t> export_bytes(const vdmabuf_cmd_export& cmd,
                                         std::span<const vdmabuf_extent> extents) {
    std::vector<uint8_t> out(sizeof cmd + extents.size_bytes());
    std::memcpy(out.data(), &cmd, sizeof cmd);
    if (!extents.empty())
        std::memcpy(out.data() + sizeof cmd, extents.data(), extents.size_bytes());
    return out;
}

inline vdmabuf_cmd_present present_cmd(vdmabuf_id id, uint64_t tag, uint32_t output,
                                       uint64_t sequence) {
    vdmabuf_cmd_present p{};
    p.hdr = {VDMABUF_CMD_PRESENT, 0, tag};
    p.id = id;
    p.output = output;
    p.sequence = sequence;
    return p;
}

inline vdmabuf_cmd_unexport unexport_cmd(vdmabuf_id id, uint64_t tag = 0) {
    vdmabuf_cmd_unexport u{};
    u.hdr = {VDMABUF_CMD_UNEXPORT, 0, tag};
    u.id = id;
    return u;
}

// A connected output of width x height.
inline vdmabuf_cmd_output output_cmd(uint32_t output, uint32_t width, uint32_t height,
                                     uint64_t tag = 0) {
    vdmabuf_cmd_output o{};
    o.hdr = {VDMABUF_CMD_OUTPUT, 0, tag};
    o.output = output;
    o.flags = VDMABUF_OUTPUT_CONNECTED;
    o.width = width;
    o.height = height;
    return o;
}

// A CURSOR_SET of width x height with its hotspot, followed by pixel_bytes
// bytes of `fill`: the count is the caller's, so it can disagree with the size.
inline std::vector<uint8_t> cursor_set_cmd(uint32_t output, uint32_t width, uint32_t height,
                                           uint32_t hotspot_x, uint32_t hotspot_y,
                                           size_t pixel_bytes, uint64_t tag, uint8_t fill) {
    vdmabuf_cmd_cursor_set c{};
    c.hdr = {VDMABUF_CMD_CURSOR_SET, 0, tag};
    c.output = output;
    c.width = width;
    c.height = height;
    c.hotspot_x = hotspot_x;
    c.hotspot_y = hotspot_y;
    std::vector<uint8_t> out(sizeof c + pixel_bytes, fill);
    std::memcpy(out.data(), &c, sizeof c);
    return out;
}

} // namespace vdmabuf::testwire
