// vm-check-png PNG SEED [WxH]: exit 0 when the screenshot is exactly the VM
// lane's pattern (tests/vm/vm_pattern.h) for SEED at WxH (default 320x200), 1
// with a count of wrong pixels else.
// vm-check-png --locate PNG: exit 0 when the screenshot shows a window of
// vdmabuf-pattern-client, drawn exactly (tests/clients/pattern.hpp).
// vm-check-png --same A.png B.png [DIFF.png]: exit 0 when both have the same
// size and pixels (the alpha byte aside: one may be XRGB, the other ARGB); on
// a difference DIFF.png is A dimmed to a quarter with the differing pixels red.
// vm-check-png --find PNG SEED WxH: exit 0 when the screenshot (a whole
// compositor screen) holds the pattern for SEED at WxH somewhere, exactly
// (colour bytes; prints where), 1 else.
// For the interactive lane (interactive-lane.sh), where bash needs numbers:
// vm-check-png --size PNG: prints WxH.
// vm-check-png --content PNG: prints how many pixels differ from the desktop
// colour (the bottom-right pixel, which no window covers).
// vm-check-png --colour PNG RRGGBB: prints "N X0 Y0 X1 Y1", the pixels of that
// colour and their bounding box (X1, Y1 exclusive); exit 1 when there are none.
// vm-check-png --point PNG RRGGBB [AVOID]: prints "X Y", a point of that colour
// with 8 pixels of it all around, outside the box of colour AVOID (to click
// a window where the one over it is not); exit 1 when there is none.
#include <vdmabuf/shared/png.hpp>

#include "pattern.hpp"
#include "vm_pattern.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

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

int same(const char* a_path, const char* b_path, const char* diff_path) {
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
    vdmabuf::Image diff = *a;
    for (uint32_t y = 0; y < a->height; ++y)
        for (uint32_t x = 0; x < a->width; ++x) {
            uint32_t pa, pb;
            std::memcpy(&pa, a->pixels.data() + size_t(y) * a->stride + x * 4, 4);
            std::memcpy(&pb, b->pixels.data() + size_t(y) * b->stride + x * 4, 4);
            const bool differs = (pa ^ pb) & 0x00ffffffu;
            bad += differs;
            const uint32_t d = differs ? 0xffff0000u : 0xff000000u | ((pa >> 2) & 0x003f3f3fu);
            std::memcpy(diff.pixels.data() + size_t(y) * diff.stride + x * 4, &d, 4);
        }
    std::printf("vm-check-png: %s vs %s (%ux%u): %zu pixels differ\n", a_path, b_path, a->width,
                a->height, bad);
    if (bad && diff_path && vdmabuf::write_png(diff_path, diff))
        std::printf("vm-check-png: diff in %s\n", diff_path);
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

uint32_t rgb_at(const vdmabuf::Image& img, uint32_t x, uint32_t y) {
    uint32_t p;
    std::memcpy(&p, img.pixels.data() + size_t(y) * img.stride + size_t(x) * 4, 4);
    return p & 0x00ffffffu;
}

struct Box {
    uint32_t x0 = ~0u, y0 = ~0u, x1 = 0, y1 = 0;
    uint64_t n = 0;
};

Box box_of(const vdmabuf::Image& img, uint32_t rgb) {
    Box b;
    for (uint32_t y = 0; y < img.height; ++y)
        for (uint32_t x = 0; x < img.width; ++x)
            if (rgb_at(img, x, y) == rgb) {
                b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y);
                b.x1 = std::max(b.x1, x + 1), b.y1 = std::max(b.y1, y + 1);
                ++b.n;
            }
    return b;
}

// --size, --content, --colour, --point (see the top).
int measure(const std::string& what, const char* path, uint32_t rgb, const uint32_t* avoid) {
    auto img = vdmabuf::read_png(path);
    if (!img || !img->width || !img->height)
        return 1;
    if (what == "--size") {
        std::printf("%ux%u\n", img->width, img->height);
        return 0;
    }
    if (what == "--content") {
        const uint32_t desk = rgb_at(*img, img->width - 1, img->height - 1);
        uint64_t n = 0;
        for (uint32_t y = 0; y < img->height; ++y)
            for (uint32_t x = 0; x < img->width; ++x)
                n += rgb_at(*img, x, y) != desk;
        std::printf("%llu\n", static_cast<unsigned long long>(n));
        return 0;
    }
    if (what == "--colour") {
        const Box b = box_of(*img, rgb);
        std::printf("%llu %u %u %u %u\n", static_cast<unsigned long long>(b.n), b.n ? b.x0 : 0,
                    b.n ? b.y0 : 0, b.x1, b.y1);
        return b.n ? 0 : 1;
    }
    const Box a = avoid ? box_of(*img, *avoid) : Box{};
    constexpr uint32_t m = 8;
    for (uint32_t y = m; y + m < img->height; y += 4)
        for (uint32_t x = m; x + m < img->width; x += 4) {
            if (a.n && x >= a.x0 && x < a.x1 && y >= a.y0 && y < a.y1)
                continue;
            if (rgb_at(*img, x, y) == rgb && rgb_at(*img, x - m, y - m) == rgb &&
                rgb_at(*img, x + m, y + m) == rgb && rgb_at(*img, x - m, y + m) == rgb &&
                rgb_at(*img, x + m, y - m) == rgb) {
                std::printf("%u %u\n", x, y);
                return 0;
            }
        }
    std::printf("vm-check-png: %s: no point of colour %06x\n", path, rgb);
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    uint32_t find_w = 0, find_h = 0;
    if (argc == 5 && !std::strcmp(argv[1], "--find") &&
        std::sscanf(argv[4], "%ux%u", &find_w, &find_h) == 2 && find_w && find_h)
        return find(argv[2], static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)), find_w,
                    find_h);
    if (argc >= 3 && argc <= 5) {
        const std::string what = argv[1];
        uint32_t rgb = 0, avoid = 0;
        const bool colour = argc >= 4 && std::sscanf(argv[3], "%6x", &rgb) == 1;
        const bool has_avoid = argc == 5 && std::sscanf(argv[4], "%6x", &avoid) == 1;
        if ((what == "--size" || what == "--content") && argc == 3)
            return measure(what, argv[2], 0, nullptr);
        if (what == "--colour" && argc == 4 && colour)
            return measure(what, argv[2], rgb, nullptr);
        if (what == "--point" && colour && (argc == 4 || has_avoid))
            return measure(what, argv[2], rgb, has_avoid ? &avoid : nullptr);
    }
    if (argc == 3 && !std::strcmp(argv[1], "--locate"))
        return locate(argv[2]);
    if ((argc == 4 || argc == 5) && !std::strcmp(argv[1], "--same"))
        return same(argv[2], argv[3], argc == 5 ? argv[4] : nullptr);
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
