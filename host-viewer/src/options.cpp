#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vdmabuf::viewer {
namespace {

void usage(FILE* f) {
    std::fprintf(f,
                 "usage: vdmabuf-viewer [--connect PATH] [--guest NAME] [--output N|NAME]\n"
                 "       [--all-outputs] [--presenter auto|wayland|x11|headless]\n"
                 "       [--screenshot FILE.png] [--screenshot-cursor] [--frames N]\n"
                 "       [--fullscreen] [--hud] [--stats-json FILE] [--no-reconnect]\n"
                 "       [--no-resize] [--keymap LAYOUT[:VARIANT]] [--commands FILE|-]\n"
                 "       [--png-level fast|0-9|rle] [--png-filter none|sub|up|paeth|adaptive]\n"
                 "       [--import auto|dmabuf|copy] [--no-pass-through] [--timeout S]\n"
                 "Shows one output of a guest (--all-outputs: one window per output; headless\n"
                 "screenshots then go to FILE-NAME.png per output) and forwards keyboard and\n"
                 "pointer to it. Resizing the window asks the guest for that mode (debounced\n"
                 "200 ms) unless --no-resize. Keys the viewer keeps (never forwarded):\n"
                 "  Ctrl+Alt+G  grab / release the keyboard   Ctrl+Alt+F  toggle fullscreen\n"
                 "  Ctrl+Alt+S  screenshot (vdmabuf-DATE.png) Ctrl+Alt+H  toggle the HUD\n"
                 "--commands: a test input script, one command a line, run after the first\n"
                 "frame: keymap L[:V], type TEXT, key NAME|CODE [press|release], move X Y,\n"
                 "click X Y [left|right|middle], scroll DX DY, resize WxH, wait-frames N,\n"
                 "wait-size WxH, wait-ms N, screenshot PATH, quit (host-viewer/README.md).\n"
                 "--timeout S: with --frames, give up (exit 1) when they are not all shown\n"
                 "within S seconds; without it the viewer waits for its guest and output.\n"
                 "--png-level: screenshot PNG encoding: fast (default: our own encoder), or zlib\n"
                 "0-9 or rle with --png-filter (default sub; a filter alone picks zlib 1): smaller files, slower; 6 adaptive\n"
                 "is grim's default, 0 stores.\n"
                 "--no-pass-through: a window draws every frame with GL instead of handing\n"
                 "frames to the window system (Wayland: wl_shm buffers of guest memory or the\n"
                 "viewer's copy; X11: MIT-SHM puts from guest memory).\n"
                 "--import: where vdmabufd hands out dma-bufs, show them without a copy (EGL\n"
                 "dma-buf import): auto (default: a software renderer is first tried in a child\n"
                 "process), dmabuf (trust the EGL extension), copy (never).\n");
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

bool takes_value(const char* a) {
    for (const char* o : {"--connect", "--guest", "--presenter", "--screenshot", "--stats-json",
                          "--keymap", "--commands", "--output", "--png-level", "--png-filter",
                          "--import", "--frames", "--timeout"})
        if (!std::strcmp(a, o))
            return true;
    return false;
}

bool known_presenter(const char* v) {
    for (const char* p : {"auto", "wayland", "x11", "headless"})
        if (!std::strcmp(v, p))
            return true;
    return false;
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
        } else if (!std::strcmp(a, "--no-pass-through")) {
            o.pass_through = false;
        } else if (!std::strcmp(a, "--no-resize")) {
            o.no_resize = true;
        } else if (!std::strcmp(a, "--all-outputs")) {
            o.all_outputs = true;
        } else if (!std::strcmp(a, "--screenshot-cursor")) {
            o.screenshot_cursor = true;
        } else if (!takes_value(a)) {
            std::fprintf(stderr, "vdmabuf-viewer: unknown option %s\n", a);
            usage(stderr);
            return std::nullopt;
        } else if (!(v = value())) {
            return std::nullopt;
        } else if (!std::strcmp(a, "--connect")) {
            o.connect = v;
        } else if (!std::strcmp(a, "--guest")) {
            o.guest = v;
        } else if (!std::strcmp(a, "--presenter") && known_presenter(v)) {
            o.presenter = v;
        } else if (!std::strcmp(a, "--screenshot")) {
            o.screenshot = v;
        } else if (!std::strcmp(a, "--stats-json")) {
            o.stats_json = v;
        } else if (!std::strcmp(a, "--keymap") && *v && *v != ':') {
            o.keymap = v;
        } else if (!std::strcmp(a, "--commands")) {
            o.commands = v;
        } else if (!std::strcmp(a, "--output") && parse_u64(v, &n) && n < 0xffffffffu) {
            o.output = uint32_t(n);
        } else if (!std::strcmp(a, "--output") && *v && std::strlen(v) < 32) {
            o.output_name = v; // not a number: a name from the guest's OUTPUT messages
        } else if (!std::strcmp(a, "--png-level") && parse_png_level(v, o.png)) {
            o.png = *parse_png_level(v, o.png);
        } else if (!std::strcmp(a, "--png-filter") && parse_png_filter(v)) {
            o.png.filter = *parse_png_filter(v);
            o.png.fast = false; // a filter is a zlib setting
        } else if (!std::strcmp(a, "--import") && parse_import_choice(v)) {
            o.import = *parse_import_choice(v);
        } else if (!std::strcmp(a, "--frames") && parse_u64(v, &n)) {
            o.frames = n;
        } else if (!std::strcmp(a, "--timeout") && parse_u64(v, &n) && n > 0 && n < 1000000) {
            o.timeout_s = n;
        } else {
            std::fprintf(stderr, "vdmabuf-viewer: bad argument %s %s\n", a, v);
            usage(stderr);
            return std::nullopt;
        }
    }
    return o;
}

} // namespace vdmabuf::viewer
