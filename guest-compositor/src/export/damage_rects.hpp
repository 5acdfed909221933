// A frame's damage region -> the rectangles of one PRESENT (device spec §6.3: at most
// 16, each non-empty and inside the buffer; none means the whole buffer changed).
#pragma once

#include "vdmabuf_wire.h"

#include <pixman.h>

#include <cstdint>
#include <vector>

namespace vdmabuf::compositor {

// Clips `damage` (buffer coordinates) to width x height. More than `max_rects`
// rectangles collapse into their bounding box (still far less than the whole frame
// for a typical moving window). Damage covering the whole buffer, or a null region,
// gives an empty list (= full damage). A region empty after clipping sets `nothing`.
struct DamageRects {
    std::vector<vdmabuf_rect> rects; // empty: whole buffer
    bool nothing = false;            // the region was empty after clipping
};

[[nodiscard]] DamageRects damage_to_rects(const pixman_region32_t* damage, int32_t width,
                                          int32_t height, uint32_t max_rects = 16);

} // namespace vdmabuf::compositor
