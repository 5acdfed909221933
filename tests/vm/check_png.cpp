// vm-check-png PNG SEED: exit 0 when the screenshot is exactly the VM lane's
// pattern (tests/vm/vm_pattern.h) for SEED, 1 with a count of wrong pixels else.
// vm-check-png --locate PNG: exit 0 when the screenshot shows a window of
// vdmabuf-pattern-client, drawn exactly (tests/clients/pattern.hpp).
#include <vdmabuf/shared/png.hpp>

#include "pattern.hpp"
#include "vm_pattern.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int locate(const char* path) {
    auto img = vdmabuf::read_png(path);
    if (!img)
        return 1;
    auto found = vdmabuf::pattern::locate(img->pixels.data(), img->width, img->height, img->stride);
    if (!found) {
        std::printf("vm-check-png: %s (%ux%u): no pattern-client window\n", path, img->width,
                    img->height);
        return 1;
    }
    const int64_t bad = vdmabuf::pattern::mismatches(img->pixels.data(), img->stride, *found);
    std::printf("vm-check-png: %s: pattern window %ux%u at %u,%u, %lld pixels wrong\n", path,
                found->layout.width, found->layout.height, found->x, found->y,
                static_cast<long long>(bad));
    return bad == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 3 && !std::strcmp(argv[1], "--locate"))
        return locate(argv[2]);
    if (argc != 3) {
        std::fprintf(stderr, "usage: vm-check-png PNG SEED\n");
        return 2;
    }
    auto img = vdmabuf::read_png(argv[1]);
    if (!img) {
        std::fprintf(stderr, "vm-check-png: cannot read %s\n", argv[1]);
        return 1;
    }
    const auto seed = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10));
    if (img->width != VM_PATTERN_WIDTH || img->height != VM_PATTERN_HEIGHT) {
        std::fprintf(stderr, "vm-check-png: %ux%u, want %ux%u\n", img->width, img->height,
                     VM_PATTERN_WIDTH, VM_PATTERN_HEIGHT);
        return 1;
    }
    size_t bad = 0;
    for (uint32_t y = 0; y < img->height; ++y)
        for (uint32_t x = 0; x < img->width; ++x) {
            uint32_t got;
            std::memcpy(&got, img->pixels.data() + size_t(y) * img->stride + x * 4, 4);
            if (got != vm_pattern_pixel(x, y, seed))
                ++bad;
        }
    std::printf("vm-check-png: %s seed %u: %zu of %u pixels differ\n", argv[1], seed, bad,
                img->width * img->height);
    return bad ? 1 : 0;
}
