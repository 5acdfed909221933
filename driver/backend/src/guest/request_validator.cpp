#include "guest/request_validator.hpp"

#include <vdmabuf/shared/device_event.hpp>
#include <vdmabuf/shared/format.hpp>

#include <algorithm>
#include <cstddef>

namespace vdmabuf::backend {
namespace {

constexpr uint32_t off(size_t o) { return static_cast<uint32_t>(o); }

constexpr ValidationResult fail(uint32_t code, size_t detail) {
    return {code, static_cast<uint32_t>(detail)};
}

constexpr uint32_t kExtentBase = sizeof(vdmabuf_cmd_export);
constexpr uint32_t kPlaneBase = off(offsetof(vdmabuf_cmd_export, planes));
constexpr uint32_t kDamageBase = off(offsetof(vdmabuf_cmd_present, damage));

constexpr uint32_t extent_off(uint32_t i) { return kExtentBase + i * off(sizeof(vdmabuf_extent)); }
constexpr uint32_t plane_off(uint32_t i) { return kPlaneBase + i * off(sizeof(vdmabuf_plane)); }

bool page_aligned(uint64_t v) { return v % VDMABUF_PAGE_SIZE == 0; }

bool intersects(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end) {
    return a_start < b_end && b_start < a_end;
}

// §6.2 rule 7, within the buffer: sort a copy, then any start before the furthest end
// seen so far overlaps. Reports the later of the two extents in request order.
ValidationResult check_self_overlap(std::span<const vdmabuf_extent> extents,
                                    std::vector<IndexedRange>& scratch) {
    scratch.clear();
    for (uint32_t i = 0; i < extents.size(); ++i)
        scratch.push_back({extents[i].addr, extents[i].addr + extents[i].len, i});
    std::sort(scratch.begin(), scratch.end(),
              [](const IndexedRange& a, const IndexedRange& b) { return a.start < b.start; });
    uint64_t max_end = 0;
    uint32_t max_index = 0;
    for (size_t k = 0; k < scratch.size(); ++k) {
        const IndexedRange& r = scratch[k];
        if (k > 0 && r.start < max_end)
            return fail(VDMABUF_RESP_ERR_OVERLAP, extent_off(std::max(r.index, max_index)));
        if (r.end > max_end) {
            max_end = r.end;
            max_index = r.index;
        }
    }
    return {};
}

} // namespace

ValidationResult check_live_id(const vdmabuf_id& id, uint32_t base, const SessionIds& ids,
                               const BufferTable& table) {
    if (id.guest != ids.guest)
        return fail(VDMABUF_RESP_ERR_INVALID_ID, base + offsetof(vdmabuf_id, guest));
    if (id.key != ids.key)
        return fail(VDMABUF_RESP_ERR_INVALID_ID, base + offsetof(vdmabuf_id, key));
    if (id.counter == 0 || !table.find(id.counter))
        return fail(VDMABUF_RESP_ERR_INVALID_ID, base + offsetof(vdmabuf_id, counter));
    return {};
}

ValidationResult validate_hello(const vdmabuf_cmd_hello& cmd, size_t request_len, bool ready) {
    // 56 bytes, or 64 with the features the driver wants (§6.1).
    if (request_len != sizeof(vdmabuf_cmd_hello) &&
        request_len != sizeof(vdmabuf_cmd_hello_features))
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (cmd.hdr.flags != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    if (ready)
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (cmd.magic != VDMABUF_MAGIC)
        return fail(VDMABUF_RESP_ERR_VERSION, offsetof(vdmabuf_cmd_hello, magic));
    if (cmd.version != VDMABUF_VERSION)
        return fail(VDMABUF_RESP_ERR_VERSION, offsetof(vdmabuf_cmd_hello, version));
    // Printable ASCII up to the first NUL, then NUL padding only.
    bool ended = false;
    for (uint32_t i = 0; i < VDMABUF_NAME_LEN; ++i) {
        const uint8_t c = cmd.name[i];
        const bool ok = ended ? c == 0 : (c == 0 || (c >= 0x21 && c <= 0x7e));
        if (!ok)
            return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_hello, name) + i);
        ended = ended || c == 0;
    }
    return {};
}

std::string hello_name(const vdmabuf_cmd_hello& cmd) {
    size_t n = 0;
    while (n < VDMABUF_NAME_LEN && cmd.name[n] != 0)
        ++n;
    return std::string(reinterpret_cast<const char*>(cmd.name), n);
}

ValidationResult validate_export(const vdmabuf_cmd_export& cmd,
                                 std::span<const vdmabuf_extent> extents, size_t request_len,
                                 const ExportContext& ctx, std::vector<IndexedRange>& scratch) {
    // 1. Shape: exact size, zero flags, padding and unused planes.
    const uint64_t expected = uint64_t{sizeof(vdmabuf_cmd_export)} +
                              uint64_t{sizeof(vdmabuf_extent)} * cmd.n_extents;
    if (request_len < sizeof(vdmabuf_cmd_export))
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (request_len != expected || extents.size() != cmd.n_extents)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_export, n_extents));
    if (cmd.hdr.flags != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    if (cmd.padding != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_export, padding));
    for (uint32_t i = std::min(cmd.n_planes, VDMABUF_MAX_PLANES); i < VDMABUF_MAX_PLANES; ++i) {
        if (cmd.planes[i].offset != 0 || cmd.planes[i].stride != 0)
            return fail(VDMABUF_RESP_ERR_MALFORMED, plane_off(i));
    }

    // 2. ID.
    const uint32_t id_base = off(offsetof(vdmabuf_cmd_export, id));
    if (cmd.id.guest != ctx.ids.guest)
        return fail(VDMABUF_RESP_ERR_INVALID_ID, id_base + offsetof(vdmabuf_id, guest));
    if (cmd.id.key != ctx.ids.key)
        return fail(VDMABUF_RESP_ERR_INVALID_ID, id_base + offsetof(vdmabuf_id, key));
    if (cmd.id.counter == 0)
        return fail(VDMABUF_RESP_ERR_INVALID_ID, id_base + offsetof(vdmabuf_id, counter));
    if (ctx.table.find(cmd.id.counter))
        return fail(VDMABUF_RESP_ERR_DUPLICATE_ID, id_base + offsetof(vdmabuf_id, counter));

    // 3. Quota.
    if (ctx.table.size() >= ctx.max_buffers)
        return fail(VDMABUF_RESP_ERR_QUOTA, 0);

    // 4. Sizes.
    if (cmd.width == 0 || cmd.width > VDMABUF_MAX_DIMENSION)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_export, width));
    if (cmd.height == 0 || cmd.height > VDMABUF_MAX_DIMENSION)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_export, height));
    if (cmd.size < VDMABUF_PAGE_SIZE || cmd.size > VDMABUF_MAX_BUFFER_SIZE || !page_aligned(cmd.size))
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_export, size));
    if (cmd.n_extents == 0 || cmd.n_extents > VDMABUF_MAX_EXTENTS)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_export, n_extents));

    // 5. Format: consumers map the pages, so only LINEAR.
    const FormatInfo* fmt = format_info(cmd.fourcc);
    if (!fmt)
        return fail(VDMABUF_RESP_ERR_INVALID_FORMAT, offsetof(vdmabuf_cmd_export, fourcc));
    if (cmd.modifier != 0)
        return fail(VDMABUF_RESP_ERR_INVALID_FORMAT, offsetof(vdmabuf_cmd_export, modifier));

    // 6. Extents: aligned, non-empty, no wrap, inside one region; then the total.
    for (uint32_t i = 0; i < extents.size(); ++i) {
        const vdmabuf_extent& e = extents[i];
        uint64_t end = 0;
        if (!page_aligned(e.addr))
            return fail(VDMABUF_RESP_ERR_INVALID_ADDRESS, extent_off(i));
        if (e.len == 0 || !page_aligned(e.len) || __builtin_add_overflow(e.addr, e.len, &end))
            return fail(VDMABUF_RESP_ERR_INVALID_ADDRESS, extent_off(i) + offsetof(vdmabuf_extent, len));
        if (!ctx.memory.gpa_to_ptr(e.addr, e.len))
            return fail(VDMABUF_RESP_ERR_INVALID_ADDRESS, extent_off(i));
    }
    uint64_t total = 0;
    for (const vdmabuf_extent& e : extents) {
        if (__builtin_add_overflow(total, e.len, &total) || total > cmd.size)
            return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_export, size));
    }
    if (total != cmd.size)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(vdmabuf_cmd_export, size));

    // 7. Overlap with the rings, the guest's other buffers, and itself.
    for (uint32_t i = 0; i < extents.size(); ++i) {
        const vdmabuf_extent& e = extents[i];
        for (const GpaRange& ring : ctx.rings) {
            if (intersects(e.addr, e.addr + e.len, ring.start, ring.end()))
                return fail(VDMABUF_RESP_ERR_OVERLAP, extent_off(i));
        }
        if (ctx.table.overlaps(e.addr, e.len))
            return fail(VDMABUF_RESP_ERR_OVERLAP, extent_off(i));
    }
    if (ValidationResult r = check_self_overlap(extents, scratch); !r.ok())
        return r;

    // 8. Layout: the format's plane count, every plane inside the buffer.
    if (cmd.n_planes != fmt->num_planes)
        return fail(VDMABUF_RESP_ERR_INVALID_LAYOUT, offsetof(vdmabuf_cmd_export, n_planes));
    for (uint32_t i = 0; i < cmd.n_planes; ++i) {
        const vdmabuf_plane& p = cmd.planes[i];
        if (p.stride < min_stride(*fmt, i, cmd.width))
            return fail(VDMABUF_RESP_ERR_INVALID_LAYOUT, plane_off(i) + offsetof(vdmabuf_plane, stride));
        if (!plane_fits(*fmt, i, cmd.width, cmd.height, p.offset, p.stride, cmd.size))
            return fail(VDMABUF_RESP_ERR_INVALID_LAYOUT, plane_off(i));
    }
    return {};
}

ValidationResult validate_present(const vdmabuf_cmd_present& cmd, size_t request_len,
                                  const SessionIds& ids, const BufferTable& table,
                                  const OutputSequences& sequences) {
    if (request_len != sizeof(vdmabuf_cmd_present))
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (cmd.hdr.flags != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    const uint32_t id_base = off(offsetof(vdmabuf_cmd_present, id));
    if (ValidationResult r = check_live_id(cmd.id, id_base, ids, table); !r.ok())
        return r;
    if (cmd.output >= VDMABUF_MAX_OUTPUTS)
        return fail(VDMABUF_RESP_ERR_INVALID_OUTPUT, offsetof(vdmabuf_cmd_present, output));
    if (cmd.n_damage > VDMABUF_MAX_DAMAGE)
        return fail(VDMABUF_RESP_ERR_INVALID_DAMAGE, offsetof(vdmabuf_cmd_present, n_damage));
    const BufferTable::Entry* entry = table.find(cmd.id.counter);
    const Buffer& buf = entry->buffer;
    for (uint32_t i = 0; i < cmd.n_damage; ++i) {
        const vdmabuf_rect& r = cmd.damage[i];
        const bool inside = r.width > 0 && r.height > 0 &&
                            uint64_t{r.x} + r.width <= buf.width &&
                            uint64_t{r.y} + r.height <= buf.height;
        if (!inside)
            return fail(VDMABUF_RESP_ERR_INVALID_DAMAGE, kDamageBase + i * sizeof(vdmabuf_rect));
    }
    if (entry->busy())
        return fail(VDMABUF_RESP_ERR_IN_USE, id_base);
    const bool seen = (sequences.seen >> cmd.output) & 1u;
    if (seen && cmd.sequence <= sequences.last[cmd.output])
        return fail(VDMABUF_RESP_ERR_STALE_SEQUENCE, offsetof(vdmabuf_cmd_present, sequence));
    return {};
}

ValidationResult validate_unexport(const vdmabuf_cmd_unexport& cmd, size_t request_len,
                                   const SessionIds& ids, const BufferTable& table) {
    if (request_len != sizeof(vdmabuf_cmd_unexport))
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (cmd.hdr.flags != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    const uint32_t id_base = off(offsetof(vdmabuf_cmd_unexport, id));
    if (ValidationResult r = check_live_id(cmd.id, id_base, ids, table); !r.ok())
        return r;
    if (table.find(cmd.id.counter)->busy())
        return fail(VDMABUF_RESP_ERR_IN_USE, id_base);
    return {};
}

ValidationResult validate_output(const vdmabuf_cmd_output& cmd, size_t request_len,
                                 uint32_t max_outputs) {
    using C = vdmabuf_cmd_output;
    if (request_len != sizeof(C))
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (cmd.hdr.flags != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    if (cmd.padding != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(C, padding));
    if (cmd.flags & ~VDMABUF_OUTPUT_CONNECTED)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(C, flags));
    uint32_t at = 0;
    if (!check_name(cmd.name, sizeof cmd.name, at))
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(C, name) + at);
    if (cmd.output >= max_outputs)
        return fail(VDMABUF_RESP_ERR_INVALID_OUTPUT, offsetof(C, output));
    if (cmd.flags & VDMABUF_OUTPUT_CONNECTED) {
        if (cmd.width == 0 || cmd.width > VDMABUF_MAX_DIMENSION)
            return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, width));
        if (cmd.height == 0 || cmd.height > VDMABUF_MAX_DIMENSION)
            return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, height));
        return {};
    }
    // Gone: nothing to describe.
    if (cmd.width != 0)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, width));
    if (cmd.height != 0)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, height));
    if (cmd.refresh_mhz != 0)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, refresh_mhz));
    return {};
}

ValidationResult validate_cursor_set(const vdmabuf_cmd_cursor_set& cmd, size_t request_len,
                                     uint32_t max_outputs) {
    using C = vdmabuf_cmd_cursor_set;
    if (request_len < sizeof(C))
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (cmd.hdr.flags != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    if (cmd.padding != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(C, padding));
    if (cmd.output >= max_outputs)
        return fail(VDMABUF_RESP_ERR_INVALID_OUTPUT, offsetof(C, output));
    const bool hidden = cmd.width == 0 && cmd.height == 0;
    if (!hidden) {
        if (cmd.width == 0 || cmd.width > VDMABUF_MAX_CURSOR)
            return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, width));
        if (cmd.height == 0 || cmd.height > VDMABUF_MAX_CURSOR)
            return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, height));
    }
    // The pixels that follow: exactly width * height * 4 bytes.
    if (request_len != sizeof(C) + size_t{cmd.width} * cmd.height * 4)
        return fail(VDMABUF_RESP_ERR_MALFORMED, sizeof(C));
    if (hidden ? cmd.hotspot_x != 0 : cmd.hotspot_x >= cmd.width)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, hotspot_x));
    if (hidden ? cmd.hotspot_y != 0 : cmd.hotspot_y >= cmd.height)
        return fail(VDMABUF_RESP_ERR_INVALID_SIZE, offsetof(C, hotspot_y));
    return {};
}

ValidationResult validate_cursor_move(const vdmabuf_cmd_cursor_move& cmd, size_t request_len,
                                      uint32_t max_outputs) {
    using C = vdmabuf_cmd_cursor_move;
    if (request_len != sizeof(C))
        return fail(VDMABUF_RESP_ERR_MALFORMED, 0);
    if (cmd.hdr.flags != 0)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    if (cmd.visible > 1)
        return fail(VDMABUF_RESP_ERR_MALFORMED, offsetof(C, visible));
    if (cmd.output >= max_outputs)
        return fail(VDMABUF_RESP_ERR_INVALID_OUTPUT, offsetof(C, output));
    return {};
}

} // namespace vdmabuf::backend
