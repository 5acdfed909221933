#include "export/damage_rects.hpp"

namespace vdmabuf::compositor {

DamageRects damage_to_rects(const pixman_region32_t* damage, int32_t width, int32_t height,
                            uint32_t max_rects) {
    DamageRects out;
    if (!damage || width <= 0 || height <= 0)
        return out;

    pixman_region32_t clipped;
    pixman_region32_init(&clipped);
    pixman_region32_intersect_rect(&clipped, const_cast<pixman_region32_t*>(damage), 0, 0,
                                   static_cast<unsigned>(width), static_cast<unsigned>(height));
    int n = 0;
    const pixman_box32_t* boxes = pixman_region32_rectangles(&clipped, &n);
    const pixman_box32_t* ext = pixman_region32_extents(&clipped);

    auto rect = [](const pixman_box32_t& b) {
        return vdmabuf_rect{static_cast<uint32_t>(b.x1), static_cast<uint32_t>(b.y1),
                            static_cast<uint32_t>(b.x2 - b.x1), static_cast<uint32_t>(b.y2 - b.y1)};
    };
    if (n == 0) {
        out.nothing = true;
    } else if (n == 1 && ext->x1 == 0 && ext->y1 == 0 && ext->x2 == width && ext->y2 == height) {
        // whole buffer: no rectangles
    } else if (static_cast<uint32_t>(n) <= max_rects) {
        for (int i = 0; i < n; ++i)
            out.rects.push_back(rect(boxes[i]));
    } else {
        out.rects.push_back(rect(*ext));
    }
    pixman_region32_fini(&clipped);
    return out;
}

} // namespace vdmabuf::compositor
