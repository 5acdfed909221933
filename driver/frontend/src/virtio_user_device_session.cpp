// VirtioUserDevice: the interactive-session requests (OUTPUT, CURSOR_SET, CURSOR_MOVE),
// built and checked by session_messages.cpp.
#define VDM_LOG_SCOPE "guest-dev"
#include "virtio_user_device.hpp"

#include "session_messages.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstring>

namespace vdmabuf::frontend {

namespace {

template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

bool fail(int err) {
    errno = err;
    return false;
}

} // namespace

bool VirtioUserDevice::has_feature(unsigned bit) {
    if (!usable())
        return false;
    if (features_ & (1ull << bit))
        return true;
    return fail(ENOTSUP);
}

bool VirtioUserDevice::submit_simple(std::span<const uint8_t> head, std::span<const uint8_t> tail,
                                     uint32_t type, uint64_t* tag) {
    if (!submit({head, tail, type, next_tag_, 0, false}, tag))
        return false;
    ++next_tag_;
    return true;
}

bool VirtioUserDevice::announce_output(uint32_t output, bool connected, uint32_t width,
                                       uint32_t height, uint32_t refresh_mhz,
                                       std::string_view name, uint64_t* tag) {
    if (!has_feature(VDMABUF_F_HOTPLUG))
        return false;
    vdmabuf_cmd_output cmd;
    if (!build_output(hello_.max_outputs, output, connected, width, height, refresh_mhz, name, cmd))
        return false;
    cmd.hdr.tag = next_tag_;
    return submit_simple(bytes_of(cmd), {}, VDMABUF_CMD_OUTPUT, tag);
}

bool VirtioUserDevice::set_cursor(uint32_t output, uint32_t width, uint32_t height,
                                  uint32_t hotspot_x, uint32_t hotspot_y,
                                  std::span<const uint8_t> argb_pixels, uint64_t* tag) {
    if (!has_feature(VDMABUF_F_CURSOR))
        return false;
    vdmabuf_cmd_cursor_set cmd;
    if (!build_cursor_set(hello_.max_outputs, output, width, height, hotspot_x, hotspot_y,
                          argb_pixels, cmd))
        return false;
    cmd.hdr.tag = next_tag_;
    return submit_simple(bytes_of(cmd), argb_pixels, VDMABUF_CMD_CURSOR_SET, tag);
}

bool VirtioUserDevice::move_cursor(uint32_t output, int32_t x, int32_t y, bool visible,
                                   uint64_t* tag) {
    if (!has_feature(VDMABUF_F_CURSOR))
        return false;
    vdmabuf_cmd_cursor_move cmd;
    if (!build_cursor_move(hello_.max_outputs, output, x, y, visible, cmd))
        return false;
    cmd.hdr.tag = next_tag_;
    return submit_simple(bytes_of(cmd), {}, VDMABUF_CMD_CURSOR_MOVE, tag);
}

} // namespace vdmabuf::frontend
