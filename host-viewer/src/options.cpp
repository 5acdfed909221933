#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vdmabuf::viewer {
namespace {

void usage(FILE* f) {
    std::fprintf(f,
                 "usage: vdmabuf-viewer [--connect PATH] [--guest NAME] [--output N]\n"
                 "       [--presenter auto|wayland|x11|headless] [--screenshot FILE.png]\n"
                 "       [--frames N] [--fullscreen] [--hud] [--stats-json FILE] [--no-reconnect]\n"
                 "Shows one output of a guest. Keys: F12 screenshot, F11 fullscreen, H HUD.\n");
}

bool parse_u64(const char* s, uint64_t* out) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || !*s || *end || s[0] == '-')
        return false;
    *out = v;
    return true;
}

} // namespace

std::optional<Options> parse_options(int argc, char** argv, int* exit_code) {
    Options o;
    *exit_code = 2;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "vdmabuf-viewer: %s needs a value\n", a);
                return nullptr;
            }
            return argv[++i];
        };
        const char* v = nullptr;
        uint64_t n = 0;
        if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
            usage(stdout);
            *exit_code = 0;
            return std::nullopt;
        } else if (!std::strcmp(a, "--fullscreen")) {
            o.fullscreen = true;
        } else if (!std::strcmp(a, "--hud")) {
            o.hud = true;
        } else if (!std::strcmp(a, "--no-reconnect")) {
            o.no_reconnect = true;
        } else if (!(v = value())) {
            return std::nullopt;
        } else if (!std::strcmp(a, "--connect")) {
            o.connect = v;
        } else if (!std::strcmp(a, "--guest")) {
            o.guest = v;
        } else if (!std::strcmp(a, "--presenter")) {
            o.presenter = v;
        } else if (!std::strcmp(a, "--screenshot")) {
            o.screenshot = v;
        } else if (!std::strcmp(a, "--stats-json")) {
            o.stats_json = v;
        } else if (!std::strcmp(a, "--output") && parse_u64(v, &n) && n < 0xffffffffu) {
            o.output = uint32_t(n);
        } else if (!std::strcmp(a, "--frames") && parse_u64(v, &n)) {
            o.frames = n;
        } else {
            std::fprintf(stderr, "vdmabuf-viewer: bad argument %s %s\n", a, v);
            usage(stderr);
            return std::nullopt;
        }
    }
    return o;
}

} // namespace vdmabuf::viewer
