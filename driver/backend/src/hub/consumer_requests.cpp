// ConsumerConnection: the requests a consumer sends, each checked (size,
// fields, role, HELLO first) before the hub sees it; a bad one gets ERROR and
// the connection keeps working, except a wrong magic or version.
#define VDM_LOG_SCOPE "consumer"
#include "hub/consumer_connection.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace vdmabuf::backend {
namespace {

// NUL-padded: after the first NUL every byte is zero.
bool name_padding_ok(const uint8_t* name, size_t len) {
    const auto* nul = static_cast<const uint8_t*>(std::memchr(name, 0, len));
    if (!nul)
        return true;
    return std::all_of(nul, name + len, [](uint8_t b) { return b == 0; });
}

} // namespace

void ConsumerConnection::handle_packet(const uint8_t* data, size_t len, bool truncated) {
    vdmabuf_c_hdr hdr{};
    std::memcpy(&hdr, data, std::min(len, sizeof(hdr)));
    if (len < sizeof(hdr) || truncated || hdr.size != len)
        return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED,
                              "packet size does not match its header");

    switch (hdr.type) {
    case VDMABUF_C_HELLO: {
        // 64 bytes: the original HELLO, without flags (spec §2).
        if (len != sizeof(vdmabuf_c_hello) && len != offsetof(vdmabuf_c_hello, flags))
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "HELLO size");
        if (ready_)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "second HELLO");
        vdmabuf_c_hello h{};
        std::memcpy(&h, data, len);
        if (h.magic != VDMABUF_CONSUMER_MAGIC || h.version != VDMABUF_CONSUMER_VERSION) {
            protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_VERSION, "HELLO magic or version");
            mark_broken("wrong magic or version");
            return;
        }
        if (h.role != VDMABUF_ROLE_VIEWER && h.role != VDMABUF_ROLE_CONTROL)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "HELLO role");
        if (h.output != VDMABUF_CONSUMER_ANY && h.output >= VDMABUF_MAX_OUTPUTS)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "HELLO output");
        if (!name_padding_ok(h.guest_name, sizeof(h.guest_name)))
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED,
                                  "HELLO guest name padding");
        if ((h.flags & ~VDMABUF_C_HELLO_WANT_LIMITS) != 0 || h.padding != 0)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED,
                                  "HELLO flags or padding");
        role_ = h.role;
        hello_flags_ = h.flags;
        output_ = h.output;
        guest_name_.assign(reinterpret_cast<const char*>(h.guest_name),
                           strnlen(reinterpret_cast<const char*>(h.guest_name),
                                   sizeof(h.guest_name)));
        ready_ = true;
        owner_.on_hello(*this, hdr.tag);
        return;
    }
    case VDMABUF_C_IMPORT:
    case VDMABUF_C_RELEASE:
    case VDMABUF_C_STATS:
    case VDMABUF_C_GUEST_EVENT:
        break;
    default:
        return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "unknown request");
    }

    if (!ready_)
        return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_NOT_READY, "request before HELLO");

    switch (hdr.type) {
    case VDMABUF_C_IMPORT: {
        // 32 bytes: the original IMPORT, without flags (spec §4).
        if (len != sizeof(vdmabuf_c_import) && len != offsetof(vdmabuf_c_import, flags))
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "IMPORT size");
        if (role_ != VDMABUF_ROLE_VIEWER)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_ROLE, "IMPORT from CONTROL");
        vdmabuf_c_import m{};
        std::memcpy(&m, data, len);
        if ((m.flags & ~VDMABUF_C_IMPORT_WRITABLE) != 0 || m.padding != 0)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED,
                                  "IMPORT flags or padding");
        owner_.on_import(*this, hdr.tag, BufferId::from_wire(m.id), m.flags);
        return;
    }
    case VDMABUF_C_RELEASE: {
        if (len != sizeof(vdmabuf_c_release))
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "RELEASE size");
        if (role_ != VDMABUF_ROLE_VIEWER)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_ROLE, "RELEASE from CONTROL");
        vdmabuf_c_release m;
        std::memcpy(&m, data, sizeof(m));
        owner_.on_release(*this, hdr.tag, BufferId::from_wire(m.id), m.sequence);
        return;
    }
    case VDMABUF_C_STATS: {
        if (len != sizeof(vdmabuf_c_stats))
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "STATS size");
        vdmabuf_c_stats m;
        std::memcpy(&m, data, sizeof(m));
        if (m.format > VDMABUF_C_STATS_JSON || m.what > VDMABUF_C_WHAT_LIST)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED,
                                  "STATS format or what");
        owner_.on_stats(*this, hdr.tag, m.format, m.what);
        return;
    }
    case VDMABUF_C_GUEST_EVENT: {
        if (len != sizeof(vdmabuf_c_guest_event))
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED, "GUEST_EVENT size");
        vdmabuf_c_guest_event m;
        std::memcpy(&m, data, sizeof(m));
        if (m.padding != 0)
            return protocol_error(hdr.tag, hdr.type, VDMABUF_C_ERR_MALFORMED,
                                  "GUEST_EVENT padding");
        owner_.on_guest_event(*this, hdr.tag, m.guest, m.event);
        return;
    }
    default:
        return;
    }
}

} // namespace vdmabuf::backend
