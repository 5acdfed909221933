// The first plane of a buffer against the mapping a copy reads it from. The
// daemon validated the layout; checked again here because a bad one would
// make a copy (memcpy or GL upload) read past the mapping.
#pragma once

#include <vdmabuf/consumer/events.hpp>
#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::viewer {

// False (logged) when plane 0 of `info` does not fit `size` bytes.
[[nodiscard]] inline bool plane0_fits(const FormatInfo& f, const consumer::BufferInfo& info,
                                      uint64_t size) {
    if (info.n_planes >= 1 && plane_fits(f, 0, info.width, info.height, info.planes[0].offset,
                                         info.planes[0].stride, size))
        return true;
    VDM_ERROR("buffer %ux%u %s stride %u does not fit its %llu-byte mapping", info.width,
              info.height, format_name(info.fourcc).c_str(), info.planes[0].stride,
              static_cast<unsigned long long>(size));
    return false;
}

} // namespace vdmabuf::viewer
