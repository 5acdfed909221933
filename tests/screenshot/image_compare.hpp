// Screenshot comparison for the screenshot suite: a per-channel tolerance,
// mask rectangles that are not compared, a diff image and the actual image
// kept on failure, and a mode that writes missing references.
//
// Images are vdmabuf::Image (ARGB/XRGB8888, bytes B, G, R, A in memory).
// Only R, G and B are compared: the compositor's output is XRGB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <vdmabuf/shared/png.hpp>

namespace vdmabuf::screenshot {

struct MaskRect {
    uint32_t x = 0, y = 0, width = 0, height = 0;
    [[nodiscard]] bool contains(uint32_t px, uint32_t py) const {
        return px >= x && py >= y && px - x < width && py - y < height;
    }
};

struct CompareOptions {
    uint32_t tolerance = 0;       // largest allowed |a - b| per channel
    std::vector<MaskRect> masks;  // pixels inside these are not compared
};

struct CompareResult {
    bool same_size = false;
    uint64_t differing = 0;       // pixels over the tolerance (outside masks)
    uint32_t max_delta = 0;       // largest channel difference seen (outside masks)
    uint32_t first_x = 0, first_y = 0;
    [[nodiscard]] bool equal() const { return same_size && differing == 0; }
};

// Compares `actual` with `expected`.
[[nodiscard]] CompareResult compare(const Image& actual, const Image& expected,
                                    const CompareOptions& opts);

// A copy of `actual` dimmed to a quarter, differing pixels pure red, masked
// areas tinted blue. Both images must be the same size.
[[nodiscard]] Image diff_image(const Image& actual, const Image& expected,
                               const CompareOptions& opts);

// Where failure images go: $VDMABUF_SCREENSHOT_OUT if set, else `fallback`
// (the meson build directory of the tests).
[[nodiscard]] std::string output_dir(const std::string& fallback);

// VDMABUF_UPDATE_REFERENCES: unset/0 never write; 1 write missing references;
// "all" (or "force") rewrite every reference.
enum class UpdateMode { never, missing, all };
[[nodiscard]] UpdateMode update_mode();

// The whole check of one screenshot against tests/reference/<name>.png.
struct Verdict {
    bool ok = false;
    bool wrote_reference = false; // the reference was (re)written from `actual`
    std::string message;          // what happened, for the test's output
};
[[nodiscard]] Verdict check_against_reference(const Image& actual, const std::string& reference,
                                              const std::string& name, const CompareOptions& opts,
                                              const std::string& out_fallback);

} // namespace vdmabuf::screenshot
