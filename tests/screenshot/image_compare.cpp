#include "image_compare.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <drm_fourcc.h>

namespace vdmabuf::screenshot {
namespace {

uint32_t pixel(const Image& img, uint32_t x, uint32_t y) {
    uint32_t v;
    std::memcpy(&v, img.pixels.data() + size_t(y) * img.stride + size_t(x) * 4, 4);
    return v;
}

uint32_t channel_delta(uint32_t a, uint32_t b) {
    uint32_t worst = 0;
    for (int shift = 0; shift < 24; shift += 8) {
        const int ca = int((a >> shift) & 0xff), cb = int((b >> shift) & 0xff);
        const uint32_t d = uint32_t(ca > cb ? ca - cb : cb - ca);
        worst = d > worst ? d : worst;
    }
    return worst;
}

bool masked(const CompareOptions& opts, uint32_t x, uint32_t y) {
    for (const MaskRect& m : opts.masks)
        if (m.contains(x, y))
            return true;
    return false;
}

} // namespace

CompareResult compare(const Image& actual, const Image& expected, const CompareOptions& opts) {
    CompareResult r;
    r.same_size = actual.width == expected.width && actual.height == expected.height;
    if (!r.same_size)
        return r;
    for (uint32_t y = 0; y < actual.height; ++y)
        for (uint32_t x = 0; x < actual.width; ++x) {
            if (masked(opts, x, y))
                continue;
            const uint32_t d = channel_delta(pixel(actual, x, y), pixel(expected, x, y));
            r.max_delta = d > r.max_delta ? d : r.max_delta;
            if (d > opts.tolerance && r.differing++ == 0) {
                r.first_x = x;
                r.first_y = y;
            }
        }
    return r;
}

Image diff_image(const Image& actual, const Image& expected, const CompareOptions& opts) {
    Image out;
    out.width = actual.width;
    out.height = actual.height;
    out.stride = actual.width * 4;
    out.fourcc = DRM_FORMAT_XRGB8888;
    out.pixels.resize(size_t(out.stride) * out.height);
    for (uint32_t y = 0; y < out.height; ++y)
        for (uint32_t x = 0; x < out.width; ++x) {
            const uint32_t a = pixel(actual, x, y);
            uint32_t v = (a >> 2) & 0x003f3f3fu; // dimmed
            if (masked(opts, x, y))
                v = (v & 0x00ffff00u) | 0x80u; // blue tint
            else if (x < expected.width && y < expected.height &&
                     channel_delta(a, pixel(expected, x, y)) > opts.tolerance)
                v = 0x00ff0000u; // red
            v |= 0xff000000u;
            std::memcpy(out.pixels.data() + size_t(y) * out.stride + size_t(x) * 4, &v, 4);
        }
    return out;
}

std::string output_dir(const std::string& fallback) {
    const char* env = std::getenv("VDMABUF_SCREENSHOT_OUT");
    std::string dir = env && *env ? env : fallback;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return dir;
}

UpdateMode update_mode() {
    const char* env = std::getenv("VDMABUF_UPDATE_REFERENCES");
    if (!env || !*env || std::strcmp(env, "0") == 0)
        return UpdateMode::never;
    if (std::strcmp(env, "all") == 0 || std::strcmp(env, "force") == 0)
        return UpdateMode::all;
    return UpdateMode::missing;
}

Verdict check_against_reference(const Image& actual, const std::string& reference,
                                const std::string& name, const CompareOptions& opts,
                                const std::string& out_fallback) {
    Verdict v;
    std::ostringstream msg;
    const UpdateMode mode = update_mode();
    const bool exists = std::filesystem::exists(reference);
    if (mode == UpdateMode::all || (mode == UpdateMode::missing && !exists)) {
        v.ok = write_png(reference.c_str(), actual);
        v.wrote_reference = v.ok;
        msg << (v.ok ? "WROTE reference " : "could not write reference ") << reference
            << " (VDMABUF_UPDATE_REFERENCES): look at it before committing it";
        v.message = msg.str();
        return v;
    }
    if (!exists) {
        msg << "no reference " << reference
            << "; run with VDMABUF_UPDATE_REFERENCES=1 to write it from this run";
        v.message = msg.str();
        return v;
    }
    const auto expected = read_png(reference.c_str());
    if (!expected) {
        v.message = "unreadable reference " + reference;
        return v;
    }
    const CompareResult r = compare(actual, *expected, opts);
    if (r.equal()) {
        msg << name << ": matches " << reference << " (tolerance " << opts.tolerance
            << ", max channel delta " << r.max_delta << ", " << opts.masks.size() << " masks)";
        v.ok = true;
        v.message = msg.str();
        return v;
    }
    const std::string dir = output_dir(out_fallback);
    const std::string actual_path = dir + "/" + name + ".actual.png";
    const std::string diff_path = dir + "/" + name + ".diff.png";
    const bool kept = write_png(actual_path.c_str(), actual);
    bool diff_kept = false;
    if (r.same_size)
        diff_kept = write_png(diff_path.c_str(), diff_image(actual, *expected, opts));
    if (!r.same_size)
        msg << name << ": size " << actual.width << "x" << actual.height << " differs from the reference's "
            << expected->width << "x" << expected->height;
    else
        msg << name << ": " << r.differing << " pixels differ from " << reference
            << " by more than " << opts.tolerance << " (first at " << r.first_x << ","
            << r.first_y << ", max channel delta " << r.max_delta << ")";
    if (kept)
        msg << "; actual: " << actual_path;
    if (diff_kept)
        msg << "; diff: " << diff_path;
    v.message = msg.str();
    return v;
}

} // namespace vdmabuf::screenshot
