// vm-check-png PNG SEED: exit 0 when the screenshot is exactly the VM lane's
// pattern (tests/vm/vm_pattern.h) for SEED, 1 with a count of wrong pixels else.
#include <vdmabuf/shared/png.hpp>

#include "vm_pattern.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
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
