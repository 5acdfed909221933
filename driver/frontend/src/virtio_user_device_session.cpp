// VirtioUserDevice: the interactive-session requests (OUTPUT, CURSOR_SET, CURSOR_MOVE).
// Arguments are checked here against the same limits the device enforces (§6.5-§6.7),
// so a caller's mistake is an immediate EINVAL rather than a later on_error.
#define VDM_LOG_SCOPE "guest-dev"
#include "virtio_user_device.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstring>

namespace vdmabuf::frontend {

namespace {

template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

bool printable_name(std::string_view name) {
    if (name.size() > VDMABUF_NAME_LEN)
        return false;
    for (char c : name)
        if (c < 0x21 || c > 0x7e)
            return false;
    return true;
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
    const bool size_ok = connected ? width > 0 && width <= VDMABUF_MAX_DIMENSION && height > 0 &&
                                         height <= VDMABUF_MAX_DIMENSION
                                   : width == 0 && height == 0 && refresh_mhz == 0;
    if (output >= hello_.max_outputs || !size_ok || !printable_name(name))
        return fail(EINVAL);
    vdmabuf_cmd_output cmd{};
    cmd.hdr = {VDMABUF_CMD_OUTPUT, 0, next_tag_};
    cmd.output = output;
    cmd.flags = connected ? VDMABUF_OUTPUT_CONNECTED : 0;
    cmd.width = width;
    cmd.height = height;
    cmd.refresh_mhz = refresh_mhz;
    if (!name.empty())
        std::memcpy(cmd.name, name.data(), name.size());
    return submit_simple(bytes_of(cmd), {}, VDMABUF_CMD_OUTPUT, tag);
}

bool VirtioUserDevice::set_cursor(uint32_t output, uint32_t width, uint32_t height,
                                  uint32_t hotspot_x, uint32_t hotspot_y,
                                  std::span<const uint8_t> argb_pixels, uint64_t* tag) {
    if (!has_feature(VDMABUF_F_CURSOR))
        return false;
    const bool hidden = width == 0 && height == 0;
    const bool size_ok = hidden ? hotspot_x == 0 && hotspot_y == 0
                                : width > 0 && width <= VDMABUF_MAX_CURSOR && height > 0 &&
                                      height <= VDMABUF_MAX_CURSOR && hotspot_x < width &&
                                      hotspot_y < height;
    if (output >= hello_.max_outputs || !size_ok ||
        argb_pixels.size() != size_t{width} * height * 4)
        return fail(EINVAL);
    vdmabuf_cmd_cursor_set cmd{};
    cmd.hdr = {VDMABUF_CMD_CURSOR_SET, 0, next_tag_};
    cmd.output = output;
    cmd.width = width;
    cmd.height = height;
    cmd.hotspot_x = hotspot_x;
    cmd.hotspot_y = hotspot_y;
    return submit_simple(bytes_of(cmd), argb_pixels, VDMABUF_CMD_CURSOR_SET, tag);
}

bool VirtioUserDevice::move_cursor(uint32_t output, int32_t x, int32_t y, bool visible,
                                   uint64_t* tag) {
    if (!has_feature(VDMABUF_F_CURSOR))
        return false;
    if (output >= hello_.max_outputs)
        return fail(EINVAL);
    vdmabuf_cmd_cursor_move cmd{};
    cmd.hdr = {VDMABUF_CMD_CURSOR_MOVE, 0, next_tag_};
    cmd.output = output;
    cmd.x = static_cast<uint32_t>(x);
    cmd.y = static_cast<uint32_t>(y);
    cmd.visible = visible ? 1 : 0;
    return submit_simple(bytes_of(cmd), {}, VDMABUF_CMD_CURSOR_MOVE, tag);
}

} // namespace vdmabuf::frontend
