// Pure validation of ctrlq requests (device spec §6): each function takes a copy of
// the request (already out of guest memory) plus the session state it is checked
// against, and answers the first failing rule in the spec's order as {code, detail},
// where detail is the byte offset of the offending field. No side effects, no
// allocation: the session applies the request only after ok().
#pragma once

#include "guest/buffer_table.hpp"
#include "vdmabuf_wire.h"

#include <vdmabuf/virtio/guest_memory.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vdmabuf::backend {

struct ValidationResult {
    uint32_t code = VDMABUF_RESP_OK;
    uint32_t detail = 0;
    [[nodiscard]] bool ok() const { return code == VDMABUF_RESP_OK; }
};

// What HELLO handed out: every ID must carry these.
struct SessionIds {
    uint32_t guest = 0;
    uint64_t key = 0;
};

// Last accepted PRESENT sequence per output; an output with no bit in `seen` has none.
struct OutputSequences {
    std::array<uint64_t, VDMABUF_MAX_OUTPUTS> last{};
    uint32_t seen = 0;
};

// Scratch for the intra-buffer overlap check (sorted copy of the extents). Reserve
// VDMABUF_MAX_EXTENTS once so validation does not allocate.
struct IndexedRange {
    uint64_t start;
    uint64_t end;
    uint32_t index;
};

struct ExportContext {
    SessionIds ids;
    const BufferTable& table;
    const virtio::GuestMemory& memory;
    std::span<const GpaRange> rings; // the virtqueues' desc/avail/used areas
    uint32_t max_buffers;
};

// HELLO (§6.1), either size. `ready`: a HELLO was already accepted in this session.
[[nodiscard]] ValidationResult validate_hello(const vdmabuf_cmd_hello& cmd, size_t request_len,
                                              bool ready);
// The name HELLO asked for (validated), or "" when it was empty.
[[nodiscard]] std::string hello_name(const vdmabuf_cmd_hello& cmd);

// EXPORT (§6.2). `extents` are the n_extents records that followed the fixed part
// (the caller passes as many as the request held).
[[nodiscard]] ValidationResult validate_export(const vdmabuf_cmd_export& cmd,
                                               std::span<const vdmabuf_extent> extents,
                                               size_t request_len, const ExportContext& ctx,
                                               std::vector<IndexedRange>& scratch);

// PRESENT (§6.3).
[[nodiscard]] ValidationResult validate_present(const vdmabuf_cmd_present& cmd,
                                                size_t request_len, const SessionIds& ids,
                                                const BufferTable& table,
                                                const OutputSequences& sequences);

// UNEXPORT (§6.4).
[[nodiscard]] ValidationResult validate_unexport(const vdmabuf_cmd_unexport& cmd,
                                                 size_t request_len, const SessionIds& ids,
                                                 const BufferTable& table);

// OUTPUT (§6.5). `max_outputs`: from the HELLO response.
[[nodiscard]] ValidationResult validate_output(const vdmabuf_cmd_output& cmd, size_t request_len,
                                               uint32_t max_outputs);

// CURSOR_SET (§6.6): the fixed part; request_len includes the pixels that follow.
[[nodiscard]] ValidationResult validate_cursor_set(const vdmabuf_cmd_cursor_set& cmd,
                                                   size_t request_len, uint32_t max_outputs);

// CURSOR_MOVE (§6.7).
[[nodiscard]] ValidationResult validate_cursor_move(const vdmabuf_cmd_cursor_move& cmd,
                                                    size_t request_len, uint32_t max_outputs);

// The ID rule shared by every request (§5.2): guest and key of this session, counter
// of a live buffer. `base` is the offset of the ID in the request.
[[nodiscard]] ValidationResult check_live_id(const vdmabuf_id& id, uint32_t base,
                                             const SessionIds& ids, const BufferTable& table);

} // namespace vdmabuf::backend
