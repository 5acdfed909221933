// Validation and decoding of daemon -> consumer packets (protocols/vdmabuf-consumer.md).
// Every decoder copies out of the packet into local structs and checks exact
// sizes and limits; it returns nullptr on success or why the packet is dropped.
#pragma once

#include <vdmabuf/consumer/events.hpp>

#include <vdmabuf_consumer.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace vdmabuf::consumer {

struct Header {
    uint32_t type = 0;
    uint32_t size = 0;
    uint64_t tag = 0;
};

struct GuestNew {
    uint32_t guest = 0;
    char name[VDMABUF_NAME_LEN + 1]{}; // NUL-terminated copy of the NUL-padded name
};
struct GuestGone {
    uint32_t guest = 0;
};
struct BufferGone {
    vdmabuf_id id{};
};
struct ErrorEvent {
    uint32_t request = 0;
    uint32_t code = 0;
    uint64_t tag = 0;
};

struct OutputEvent {
    uint32_t guest = 0, output = 0, flags = 0, width = 0, height = 0, refresh_mhz = 0;
    char name[VDMABUF_NAME_LEN + 1]{}; // NUL-terminated copy of the NUL-padded name
};

// Everything dispatch() delivers. Trivially copyable, so queueing never allocates.
// CursorImage::pixels points into the packet buffer when delivered at once; the
// Client copies them aside when it queues one.
using Event = std::variant<GuestNew, GuestGone, BufferInfo, PresentEvent, BufferGone, ErrorEvent,
                           OutputEvent, CursorImage, CursorMove>;

enum class Kind { event, welcome, import_reply, stats_reply, unknown };

// Checks len >= header and hdr.size == len.
[[nodiscard]] const char* read_header(std::span<const uint8_t> pkt, Header& hdr);
[[nodiscard]] Kind kind_of(uint32_t type) noexcept;
[[nodiscard]] const char* type_name(uint32_t type) noexcept;
[[nodiscard]] const char* error_name(uint32_t code) noexcept;

// GUEST_NEW, GUEST_GONE, BUFFER_NEW, PRESENT, BUFFER_GONE, ERROR, OUTPUT,
// CURSOR_IMAGE (pixels point into pkt) and CURSOR_MOVE.
[[nodiscard]] const char* decode_event(const Header& hdr, std::span<const uint8_t> pkt,
                                       Event& out);
[[nodiscard]] const char* decode_welcome(std::span<const uint8_t> pkt, vdmabuf_c_welcome& out);

struct ImportReply {
    vdmabuf_id id{};
    uint32_t mode = 0;
    uint64_t size = 0;
    uint32_t flags = 0; // VDMABUF_C_IMPORT_WRITABLE or 0
    std::vector<vdmabuf_c_import_extent> extents;
};
// n_fds: how many fds arrived with the packet; must equal the reply's n_fds.
[[nodiscard]] const char* decode_import_reply(std::span<const uint8_t> pkt, size_t n_fds,
                                              ImportReply& out);

// text points into pkt.
[[nodiscard]] const char* decode_stats_reply(std::span<const uint8_t> pkt, uint32_t& format,
                                             std::string_view& text);

} // namespace vdmabuf::consumer
