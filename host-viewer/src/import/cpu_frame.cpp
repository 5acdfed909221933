#define VDM_LOG_SCOPE "cpu-frame"
#include "import/cpu_frame.hpp"
#include "import/mapping_check.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cstring>
#include <drm_fourcc.h>

namespace vdmabuf::viewer {

bool CpuFrame::supports(uint32_t fourcc) {
    return fourcc == DRM_FORMAT_XRGB8888 || fourcc == DRM_FORMAT_ARGB8888;
}

int64_t CpuFrame::update(const consumer::BufferInfo& info, const uint8_t* base, uint64_t size,
                         std::span<const vdmabuf_rect> damage) {
    const FormatInfo* f = format_info(info.fourcc);
    if (!f || !supports(info.fourcc) || !plane0_fits(*f, info, size))
        return -1;
    const uint32_t stride = info.planes[0].stride;
    const uint8_t* plane = base + info.planes[0].offset;
    if (image_.width != info.width || image_.height != info.height ||
        image_.fourcc != info.fourcc || image_.stride != stride) {
        // The guest's stride: a whole frame is then one memcpy.
        image_.width = info.width;
        image_.height = info.height;
        image_.fourcc = info.fourcc;
        image_.stride = stride;
        image_.pixels.assign(size_t(stride) * info.height, 0);
        full_next_ = true;
    }
    if (full_next_ || damage.empty()) {
        if (info.planes[0].offset + image_.pixels.size() <= size) {
            std::memcpy(image_.pixels.data(), plane, image_.pixels.size());
        } else { // the last row's padding is past the mapping
            for (uint32_t y = 0; y < info.height; ++y)
                std::memcpy(image_.pixels.data() + size_t(y) * stride, plane + size_t(y) * stride,
                            size_t(info.width) * 4);
        }
        full_next_ = false;
        return int64_t(info.width) * info.height * 4;
    }
    int64_t bytes = 0;
    for (const vdmabuf_rect& r : damage) {
        // Clamp: damage comes from the guest.
        const uint32_t x = std::min(r.x, info.width), y = std::min(r.y, info.height);
        const uint32_t w = std::min(r.width, info.width - x), h = std::min(r.height, info.height - y);
        if (!w || !h)
            continue;
        const size_t offset = size_t(y) * stride + size_t(x) * 4, row = size_t(w) * 4;
        for (uint32_t i = 0; i < h; ++i)
            std::memcpy(image_.pixels.data() + offset + size_t(i) * stride,
                        plane + offset + size_t(i) * stride, row);
        bytes += int64_t(w) * h * 4;
    }
    return bytes;
}

void blend_cursor(Image& image, const CursorPixels& cursor, int32_t x, int32_t y) {
    const int64_t left = int64_t(x) - cursor.hotspot_x, top = int64_t(y) - cursor.hotspot_y;
    if (cursor.argb.size() != size_t(cursor.width) * cursor.height * 4)
        return;
    for (uint32_t cy = 0; cy < cursor.height; ++cy) {
        const int64_t iy = top + cy;
        if (iy < 0 || iy >= int64_t(image.height))
            continue;
        for (uint32_t cx = 0; cx < cursor.width; ++cx) {
            const int64_t ix = left + cx;
            if (ix < 0 || ix >= int64_t(image.width))
                continue;
            const uint8_t* s = cursor.argb.data() + (size_t(cy) * cursor.width + cx) * 4;
            uint8_t* d = image.pixels.data() + size_t(iy) * image.stride + size_t(ix) * 4;
            const uint32_t inv = 255u - s[3];
            for (int c = 0; c < 4; ++c) // premultiplied "over", rounded
                d[c] = uint8_t(std::min(255u, s[c] + (d[c] * inv + 127u) / 255u));
        }
    }
}

} // namespace vdmabuf::viewer
