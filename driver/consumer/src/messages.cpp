#include "messages.hpp"

#include <vdmabuf/shared/device_event.hpp>

#include <cstddef>
#include <cstring>

namespace vdmabuf::consumer {
namespace {

// The wire is little-endian; fields are read by memcpy into host integers.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "add byte swapping for big-endian hosts");

template <class T> bool copy_exact(std::span<const uint8_t> pkt, T& out) {
    if (pkt.size() != sizeof(T))
        return false;
    std::memcpy(&out, pkt.data(), sizeof(T));
    return true;
}

bool page_aligned(uint64_t v) noexcept {
    return v % VDMABUF_PAGE_SIZE == 0;
}

const char* decode_buffer_new(std::span<const uint8_t> pkt, BufferInfo& out) {
    vdmabuf_c_buffer_new m;
    if (!copy_exact(pkt, m))
        return "BUFFER_NEW has the wrong size";
    if (m.n_planes == 0 || m.n_planes > VDMABUF_MAX_PLANES)
        return "BUFFER_NEW n_planes out of range";
    if (m.width == 0 || m.height == 0 || m.width > VDMABUF_MAX_DIMENSION ||
        m.height > VDMABUF_MAX_DIMENSION)
        return "BUFFER_NEW dimensions out of range";
    if (m.size == 0 || m.size > VDMABUF_MAX_BUFFER_SIZE)
        return "BUFFER_NEW size out of range";
    for (uint32_t i = 0; i < m.n_planes; ++i)
        if (m.planes[i].offset >= m.size || m.planes[i].stride == 0)
            return "BUFFER_NEW plane outside the buffer";
    out = BufferInfo{};
    out.id = m.id;
    out.fourcc = m.fourcc;
    out.width = m.width;
    out.height = m.height;
    out.n_planes = m.n_planes;
    out.modifier = m.modifier;
    std::memcpy(out.planes, m.planes, sizeof m.planes);
    out.size = m.size;
    return nullptr;
}

const char* decode_present(std::span<const uint8_t> pkt, PresentEvent& out) {
    vdmabuf_c_present m;
    if (!copy_exact(pkt, m))
        return "PRESENT has the wrong size";
    if (m.n_damage > VDMABUF_MAX_DAMAGE)
        return "PRESENT n_damage over the limit";
    if (m.output >= VDMABUF_MAX_OUTPUTS)
        return "PRESENT output out of range";
    out.id = m.id;
    out.output = m.output;
    out.sequence = m.sequence;
    out.guest_time_ns = m.guest_time_ns;
    out.host_time_ns = m.host_time_ns;
    out.flags = m.flags;
    out.dropped = m.dropped;
    out.n_damage = m.n_damage;
    std::memcpy(out.damage, m.damage, sizeof m.damage);
    return nullptr;
}

const char* decode_output(std::span<const uint8_t> pkt, OutputEvent& out) {
    vdmabuf_c_output m;
    if (!copy_exact(pkt, m))
        return "OUTPUT has the wrong size";
    if (m.output >= VDMABUF_MAX_OUTPUTS)
        return "OUTPUT output out of range";
    if (m.flags & ~VDMABUF_OUTPUT_CONNECTED)
        return "OUTPUT has unknown flags";
    const bool connected = m.flags & VDMABUF_OUTPUT_CONNECTED;
    const bool size_ok = connected ? m.width > 0 && m.width <= VDMABUF_MAX_DIMENSION &&
                                         m.height > 0 && m.height <= VDMABUF_MAX_DIMENSION
                                   : m.width == 0 && m.height == 0;
    if (!size_ok)
        return "OUTPUT size out of range";
    uint32_t at = 0;
    if (!check_name(m.name, sizeof m.name, at))
        return "OUTPUT name not printable and NUL-padded";
    out = OutputEvent{m.guest, m.output, m.flags, m.width, m.height, m.refresh_mhz, {}};
    std::memcpy(out.name, m.name, VDMABUF_NAME_LEN); // out.name[VDMABUF_NAME_LEN] stays NUL
    return nullptr;
}

const char* decode_cursor_image(std::span<const uint8_t> pkt, CursorImage& out) {
    vdmabuf_c_cursor_image m;
    if (pkt.size() < sizeof m)
        return "CURSOR_IMAGE shorter than its fixed part";
    std::memcpy(&m, pkt.data(), sizeof m);
    if (m.output >= VDMABUF_MAX_OUTPUTS)
        return "CURSOR_IMAGE output out of range";
    const bool hidden = m.width == 0 && m.height == 0;
    const bool size_ok = hidden ? m.hotspot_x == 0 && m.hotspot_y == 0
                                : m.width > 0 && m.width <= VDMABUF_MAX_CURSOR && m.height > 0 &&
                                      m.height <= VDMABUF_MAX_CURSOR && m.hotspot_x < m.width &&
                                      m.hotspot_y < m.height;
    if (!size_ok)
        return "CURSOR_IMAGE size or hotspot out of range";
    const size_t bytes = size_t{m.width} * m.height * 4;
    if (pkt.size() != sizeof m + bytes)
        return "CURSOR_IMAGE size does not match its pixels";
    out = CursorImage{m.guest, m.output, m.width, m.height, m.hotspot_x, m.hotspot_y,
                      pkt.subspan(sizeof m, bytes)};
    return nullptr;
}

const char* decode_cursor_move(std::span<const uint8_t> pkt, CursorMove& out) {
    vdmabuf_c_cursor_move m;
    if (!copy_exact(pkt, m))
        return "CURSOR_MOVE has the wrong size";
    if (m.output >= VDMABUF_MAX_OUTPUTS)
        return "CURSOR_MOVE output out of range";
    if (m.visible > 1 || m.padding != 0)
        return "CURSOR_MOVE visible or padding invalid";
    out = CursorMove{m.guest, m.output, static_cast<int32_t>(m.x), static_cast<int32_t>(m.y),
                     m.visible != 0};
    return nullptr;
}

} // namespace

const char* read_header(std::span<const uint8_t> pkt, Header& hdr) {
    if (pkt.size() < sizeof(vdmabuf_c_hdr))
        return "packet shorter than its header";
    vdmabuf_c_hdr h;
    std::memcpy(&h, pkt.data(), sizeof h);
    hdr = Header{h.type, h.size, h.tag};
    if (h.size != pkt.size())
        return "hdr.size differs from the packet length";
    return nullptr;
}

Kind kind_of(uint32_t type) noexcept {
    switch (type) {
    case VDMABUF_C_GUEST_NEW:
    case VDMABUF_C_GUEST_GONE:
    case VDMABUF_C_BUFFER_NEW:
    case VDMABUF_C_PRESENT:
    case VDMABUF_C_BUFFER_GONE:
    case VDMABUF_C_ERROR:
    case VDMABUF_C_OUTPUT:
    case VDMABUF_C_CURSOR_IMAGE:
    case VDMABUF_C_CURSOR_MOVE:
        return Kind::event;
    case VDMABUF_C_WELCOME:
        return Kind::welcome;
    case VDMABUF_C_IMPORT_REPLY:
        return Kind::import_reply;
    case VDMABUF_C_STATS_REPLY:
        return Kind::stats_reply;
    default:
        return Kind::unknown;
    }
}

const char* type_name(uint32_t type) noexcept {
    switch (type) {
    case VDMABUF_C_HELLO: return "HELLO";
    case VDMABUF_C_IMPORT: return "IMPORT";
    case VDMABUF_C_RELEASE: return "RELEASE";
    case VDMABUF_C_STATS: return "STATS";
    case VDMABUF_C_GUEST_EVENT: return "GUEST_EVENT";
    case VDMABUF_C_OUTPUT: return "OUTPUT";
    case VDMABUF_C_CURSOR_IMAGE: return "CURSOR_IMAGE";
    case VDMABUF_C_CURSOR_MOVE: return "CURSOR_MOVE";
    case VDMABUF_C_WELCOME: return "WELCOME";
    case VDMABUF_C_GUEST_NEW: return "GUEST_NEW";
    case VDMABUF_C_BUFFER_NEW: return "BUFFER_NEW";
    case VDMABUF_C_PRESENT: return "PRESENT";
    case VDMABUF_C_BUFFER_GONE: return "BUFFER_GONE";
    case VDMABUF_C_GUEST_GONE: return "GUEST_GONE";
    case VDMABUF_C_IMPORT_REPLY: return "IMPORT_REPLY";
    case VDMABUF_C_STATS_REPLY: return "STATS_REPLY";
    case VDMABUF_C_ERROR: return "ERROR";
    default: return "unknown";
    }
}

const char* error_name(uint32_t code) noexcept {
    switch (code) {
    case VDMABUF_C_ERR_MALFORMED: return "MALFORMED";
    case VDMABUF_C_ERR_NOT_READY: return "NOT_READY";
    case VDMABUF_C_ERR_VERSION: return "VERSION";
    case VDMABUF_C_ERR_UNKNOWN_BUFFER: return "UNKNOWN_BUFFER";
    case VDMABUF_C_ERR_NOT_HELD: return "NOT_HELD";
    case VDMABUF_C_ERR_ROLE: return "ROLE";
    case VDMABUF_C_ERR_IMPORT: return "IMPORT";
    case VDMABUF_C_ERR_UNKNOWN_GUEST: return "UNKNOWN_GUEST";
    case VDMABUF_C_ERR_UNSUPPORTED: return "UNSUPPORTED";
    case VDMABUF_C_ERR_UNKNOWN_OUTPUT: return "UNKNOWN_OUTPUT";
    default: return "unknown error";
    }
}

const char* decode_event(const Header& hdr, std::span<const uint8_t> pkt, Event& out) {
    switch (hdr.type) {
    case VDMABUF_C_GUEST_NEW:
    case VDMABUF_C_GUEST_GONE: {
        vdmabuf_c_guest m;
        if (!copy_exact(pkt, m))
            return "GUEST_NEW/GUEST_GONE has the wrong size";
        if (hdr.type == VDMABUF_C_GUEST_GONE) {
            out = GuestGone{m.guest};
            return nullptr;
        }
        GuestNew g;
        g.guest = m.guest;
        std::memcpy(g.name, m.name, VDMABUF_NAME_LEN); // g.name[VDMABUF_NAME_LEN] stays NUL
        out = g;
        return nullptr;
    }
    case VDMABUF_C_BUFFER_NEW: {
        BufferInfo info;
        if (const char* why = decode_buffer_new(pkt, info))
            return why;
        out = info;
        return nullptr;
    }
    case VDMABUF_C_PRESENT: {
        // Decode straight into the variant: PresentEvent is the largest member.
        PresentEvent& p = out.emplace<PresentEvent>();
        return decode_present(pkt, p);
    }
    case VDMABUF_C_BUFFER_GONE: {
        vdmabuf_c_buffer_gone m;
        if (!copy_exact(pkt, m))
            return "BUFFER_GONE has the wrong size";
        out = BufferGone{m.id};
        return nullptr;
    }
    case VDMABUF_C_ERROR: {
        vdmabuf_c_error m;
        if (!copy_exact(pkt, m))
            return "ERROR has the wrong size";
        out = ErrorEvent{m.request, m.code, m.hdr.tag};
        return nullptr;
    }
    case VDMABUF_C_OUTPUT: return decode_output(pkt, out.emplace<OutputEvent>());
    case VDMABUF_C_CURSOR_IMAGE: return decode_cursor_image(pkt, out.emplace<CursorImage>());
    case VDMABUF_C_CURSOR_MOVE: return decode_cursor_move(pkt, out.emplace<CursorMove>());
    default:
        return "not an event";
    }
}

const char* decode_welcome(std::span<const uint8_t> pkt, vdmabuf_c_welcome& out) {
    // 32 bytes: a daemon that does not say its limits (spec §2).
    out = {};
    if (pkt.size() == offsetof(vdmabuf_c_welcome, release_timeout_ms))
        std::memcpy(&out, pkt.data(), pkt.size());
    else if (!copy_exact(pkt, out))
        return "WELCOME has the wrong size";
    if (out.padding != 0)
        return "WELCOME has non-zero padding";
    if (out.magic != VDMABUF_CONSUMER_MAGIC || out.version != VDMABUF_CONSUMER_VERSION)
        return "WELCOME has a foreign magic or version";
    if (out.import_mode != VDMABUF_IMPORT_DMABUF && out.import_mode != VDMABUF_IMPORT_MEMFD)
        return "WELCOME names an unknown import mode";
    return nullptr;
}

const char* decode_import_reply(std::span<const uint8_t> pkt, size_t n_fds, ImportReply& out) {
    vdmabuf_c_import_reply m;
    if (pkt.size() < sizeof m)
        return "IMPORT_REPLY shorter than its fixed part";
    std::memcpy(&m, pkt.data(), sizeof m);
    if (m.n_extents == 0 || m.n_extents > VDMABUF_MAX_EXTENTS)
        return "IMPORT_REPLY n_extents out of range";
    if (pkt.size() != sizeof m + size_t{m.n_extents} * sizeof(vdmabuf_c_import_extent))
        return "IMPORT_REPLY size does not match n_extents";
    if (m.n_fds != n_fds)
        return "IMPORT_REPLY n_fds does not match the fds received";
    if (m.n_fds == 0 || m.n_fds > VDMABUF_CONSUMER_MAX_FDS)
        return "IMPORT_REPLY n_fds out of range";
    if (m.mode != VDMABUF_IMPORT_DMABUF && m.mode != VDMABUF_IMPORT_MEMFD)
        return "IMPORT_REPLY has an unknown mode";
    if (m.size == 0 || m.size > VDMABUF_MAX_BUFFER_SIZE || !page_aligned(m.size))
        return "IMPORT_REPLY size out of range";
    if ((m.flags & ~VDMABUF_C_IMPORT_WRITABLE) != 0 ||
        (m.flags != 0 && m.mode != VDMABUF_IMPORT_MEMFD))
        return "IMPORT_REPLY has unknown flags";

    out.id = m.id;
    out.mode = m.mode;
    out.size = m.size;
    out.flags = m.flags;
    out.extents.resize(m.n_extents);
    std::memcpy(out.extents.data(), pkt.data() + sizeof m,
                out.extents.size() * sizeof(vdmabuf_c_import_extent));
    uint64_t total = 0;
    for (const auto& e : out.extents) {
        if (e.fd_index >= n_fds)
            return "IMPORT_REPLY extent names a missing fd";
        if (e.len == 0 || !page_aligned(e.len) || !page_aligned(e.offset))
            return "IMPORT_REPLY extent not page aligned";
        // Bounded by 1 GiB each, so neither sum can wrap.
        if (e.len > VDMABUF_MAX_BUFFER_SIZE || e.offset > (1ull << 62))
            return "IMPORT_REPLY extent out of range";
        total += e.len;
        if (total > m.size)
            return "IMPORT_REPLY extents exceed the size";
    }
    if (total != m.size)
        return "IMPORT_REPLY extents do not add up to the size";
    if (m.mode == VDMABUF_IMPORT_DMABUF &&
        (m.n_fds != 1 || m.n_extents != 1 || out.extents[0].offset != 0))
        return "IMPORT_REPLY in DMABUF mode is not one whole dma-buf";
    return nullptr;
}

const char* decode_stats_reply(std::span<const uint8_t> pkt, uint32_t& format,
                               std::string_view& text) {
    vdmabuf_c_stats_reply m;
    if (pkt.size() < sizeof m)
        return "STATS_REPLY shorter than its fixed part";
    std::memcpy(&m, pkt.data(), sizeof m);
    if (m.length != pkt.size() - sizeof m)
        return "STATS_REPLY length does not match the packet";
    if (m.format != VDMABUF_C_STATS_TEXT && m.format != VDMABUF_C_STATS_JSON)
        return "STATS_REPLY has an unknown format";
    format = m.format;
    text = {reinterpret_cast<const char*>(pkt.data() + sizeof m), m.length};
    return nullptr;
}

} // namespace vdmabuf::consumer
