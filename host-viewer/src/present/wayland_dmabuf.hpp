// zwp_linux_dmabuf_v1 for the Wayland window: the formats and modifiers the
// compositor can import, and one wl_buffer per guest dma-buf (vdmabufd's
// udmabuf import mode), which the compositor then reads (or samples) itself.
//
// Bound at version 3 at most: its format and modifier events carry the list
// directly (version 4 moves them into a feedback object's format table, which
// says nothing more for a single-device compositor). A buffer is made with
// `create` and a round trip for its created / failed event, never
// `create_immed`, whose failure is a protocol error that would end the
// connection (and the window); what the compositor would reject with a
// protocol error (dimensions, planes past the end of the fd) is checked here
// first and becomes a reason instead.
#pragma once

#include "present/wayland_handles.hpp"

#include <vdmabuf/consumer/events.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace vdmabuf::viewer {

class WaylandDmabuf {
public:
    WaylandDmabuf() = default;
    WaylandDmabuf(const WaylandDmabuf&) = delete;
    WaylandDmabuf& operator=(const WaylandDmabuf&) = delete;

    // From the registry's global event for zwp_linux_dmabuf_v1.
    void bind(wl_registry* registry, uint32_t name, uint32_t version);
    [[nodiscard]] bool bound() const noexcept { return proxy_ != nullptr; }
    [[nodiscard]] uint32_t version() const noexcept { return version_; }

    // Empty when the compositor announced the buffer's format with its
    // modifier (or, for a LINEAR buffer, with the implicit INVALID one), and
    // *modifier is what add() will pass; else why not.
    [[nodiscard]] std::string check(const consumer::BufferInfo& info, uint64_t* modifier) const;
    // A wl_buffer over the dma-buf `fd` (borrowed; every plane lies in it),
    // after a round trip for the compositor's answer; nullptr and *why when
    // it cannot be made (check() first).
    [[nodiscard]] wl_buffer* create_buffer(wl_display* display, const consumer::BufferInfo& info,
                                           int fd, std::string* why);
    // For the log: "version 3, 43 formats; XR24 modifiers INVALID".
    [[nodiscard]] std::string describe(uint32_t fourcc) const;

private:
    static void on_format(void* data, zwp_linux_dmabuf_v1*, uint32_t format);
    static void on_modifier(void* data, zwp_linux_dmabuf_v1*, uint32_t format, uint32_t hi,
                            uint32_t lo);

    wl::LinuxDmabuf proxy_;
    uint32_t version_ = 0;
    std::map<uint32_t, std::set<uint64_t>> formats_; // fourcc -> modifiers
};

} // namespace vdmabuf::viewer
