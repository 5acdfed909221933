// vm-check-png PNG SEED [WxH]: exit 0 when the screenshot is exactly the VM
// lane's pattern (tests/vm/vm_pattern.h) for SEED at WxH (default 320x200), 1
// with a count of wrong pixels else.
// vm-check-png --locate PNG: exit 0 when the screenshot shows a window of
// vdmabuf-pattern-client, drawn exactly (tests/clients/pattern.hpp).
// vm-check-png --same A.png B.png: exit 0 when both have the same size and
// pixels (the alpha byte aside: one may be XRGB, the other ARGB).
// vm-check-png --find PNG SEED WxH: exit 0 when the screenshot (a whole
// compositor screen) holds the pattern for SEED at WxH somewhere, exactly
// (colour bytes; prints where), 1 else.
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

int same(const char* a_path, const char* b_path) {
    auto a = vdmabuf::read_png(a_path);
    auto b = vdmabuf::read_png(b_path);
    if (!a || !b)
        return 1;
    if (a->width != b->width || a->height != b->height) {
        std::printf("vm-check-png: %s is %ux%u, %s is %ux%u\n", a_path, a->width, a->height,
                    b_path, b->width, b->height);
        return 1;
    }
    size_t bad = 0;
    for (uint32_t y = 0; y < a->height; ++y)
        for (uint32_t x = 0; x < a->width; ++x) {
            uint32_t pa, pb;
            std::memcpy(&pa, a->pixels.data() + size_t(y) * a->stride + x * 4, 4);
            std::memcpy(&pb, b->pixels.data() + size_t(y) * b->stride + x * 4, 4);
            if ((pa ^ pb) & 0x00ffffffu)
                ++bad;
        }
    std::printf("vm-check-png: %s vs %s (%ux%u): %zu pixels differ\n", a_path, b_path, a->width,
                a->height, bad);
    return bad ? 1 : 0;
}

bool pixel_is(const vdmabuf::Image& img, uint32_t x, uint32_t y, uint32_t want) {
    uint32_t got;
    std::memcpy(&got, img.pixels.data() + size_t(y) * img.stride + size_t(x) * 4, 4);
    return ((got ^ want) & 0x00ffffffu) == 0;
}

int find(const char* path, uint32_t seed, uint32_t w, uint32_t h) {
    auto img = vdmabuf::read_png(path);
    if (!img)
        return 1;
    size_t best = size_t(w) * h + 1;
    uint32_t best_x = 0, best_y = 0;
    for (uint32_t y0 = 0; y0 + h <= img->height; ++y0)
        for (uint32_t x0 = 0; x0 + w <= img->width; ++x0) {
            // Candidates: the corners must match before counting the rest.
            if (!pixel_is(*img, x0, y0, vm_pattern_pixel(0, 0, seed)) ||
                !pixel_is(*img, x0 + w - 1, y0 + h - 1, vm_pattern_pixel(w - 1, h - 1, seed)))
                continue;
            size_t bad = 0;
            for (uint32_t y = 0; y < h; ++y)
                for (uint32_t x = 0; x < w; ++x)
                    bad += !pixel_is(*img, x0 + x, y0 + y, vm_pattern_pixel(x, y, seed));
            if (bad < best)
                best = bad, best_x = x0, best_y = y0;
        }
    if (best > size_t(w) * h) {
        std::printf("vm-check-png: %s (%ux%u): no %ux%u pattern of seed %u found\n", path,
                    img->width, img->height, w, h, seed);
        return 1;
    }
    std::printf("vm-check-png: %s (%ux%u): seed %u %ux%u at %u,%u, %zu pixels differ\n", path,
                img->width, img->height, seed, w, h, best_x, best_y, best);
    return best ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    uint32_t find_w = 0, find_h = 0;
    if (argc == 5 && !std::strcmp(argv[1], "--find") &&
        std::sscanf(argv[4], "%ux%u", &find_w, &find_h) == 2 && find_w && find_h)
        return find(argv[2], static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)), find_w,
                    find_h);
    if (argc == 3 && !std::strcmp(argv[1], "--locate"))
        return locate(argv[2]);
    if (argc == 4 && !std::strcmp(argv[1], "--same"))
        return same(argv[2], argv[3]);
    uint32_t want_w = VM_PATTERN_WIDTH, want_h = VM_PATTERN_HEIGHT;
    if (argc == 4 && std::sscanf(argv[3], "%ux%u", &want_w, &want_h) != 2)
        argc = 0;
    if (argc != 3 && argc != 4) {
        std::fprintf(stderr, "usage: vm-check-png PNG SEED [WxH]\n");
        return 2;
    }
    auto img = vdmabuf::read_png(argv[1]);
    if (!img) {
        std::fprintf(stderr, "vm-check-png: cannot read %s\n", argv[1]);
        return 1;
    }
    const auto seed = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10));
    if (img->width != want_w || img->height != want_h) {
        std::fprintf(stderr, "vm-check-png: %ux%u, want %ux%u\n", img->width, img->height,
                     want_w, want_h);
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
