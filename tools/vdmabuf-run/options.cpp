#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>

namespace vdmabuf::run {
namespace {

void usage(FILE* to) {
    std::fprintf(to,
                 "usage: vdmabuf-run [--vm] [--window] [--seconds N] [--output WxH]\n"
                 "                   [--screenshot FILE] [-- CLIENT ARGS...]\n"
                 "Runs vdmabufd, vdmabuf-compositor (with the demo pattern client, or CLIENT)\n"
                 "and vdmabuf-viewer for N seconds, then stops them and prints the figures.\n"
                 "  --vm              the guest compositor runs in a QEMU TCG guest (Debian's\n"
                 "                    kernel with virtio_vdmabuf.ko; scripts/install-deps --vm)\n"
                 "  --window          show a window if a display is available (else headless)\n"
                 "  --seconds N       run time (default 5; 0: until Ctrl-C)\n"
                 "  --output WxH      guest output size (default 1280x720)\n"
                 "  --screenshot FILE PNG written by the viewer at the end\n"
                 "                    (default out/vdmabuf-run.png)\n"
                 "Env: VDMABUFD, VDMABUF_COMPOSITOR, VDMABUF_VIEWER, VDMABUF_PATTERN_CLIENT\n"
                 "override the programs; VDMABUF_LOG sets the children's log level (warn).\n");
}

bool parse_size(const char* s, uint32_t* w, uint32_t* h) {
    unsigned a = 0, b = 0;
    char tail = 0;
    if (std::sscanf(s, "%ux%u%c", &a, &b, &tail) != 2 || a == 0 || b == 0 || a > 16384 ||
        b > 16384)
        return false;
    *w = a;
    *h = b;
    return true;
}

// A --screenshot FILE the viewer can write: not empty, not a directory, in a
// directory that exists (never created for the user: as root a typo would make
// /nonexistent/...). Says why not.
bool screenshot_path_ok(const char* v) {
    if (!*v) {
        std::fprintf(stderr, "vdmabuf-run: --screenshot needs a file name, got \"\"\n");
        return false;
    }
    const std::string path = v;
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat st{};
    if (slash + 1 == path.size() || (::stat(v, &st) == 0 && S_ISDIR(st.st_mode))) {
        std::fprintf(stderr, "vdmabuf-run: --screenshot %s is a directory; give a FILE.png\n", v);
        return false;
    }
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::fprintf(stderr, "vdmabuf-run: --screenshot %s: directory %s does not exist "
                             "(create it first)\n", v, dir.c_str());
        return false;
    }
    return true;
}

} // namespace

std::optional<Options> parse_options(int argc, char** argv, int* exit_code) {
    Options o;
    *exit_code = 2;
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "vdmabuf-run: %s needs a value\n", arg);
                return nullptr;
            }
            return argv[++i];
        };
        if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
            usage(stdout);
            *exit_code = 0;
            return std::nullopt;
        } else if (!std::strcmp(arg, "--vm")) {
            o.vm = true;
        } else if (!std::strcmp(arg, "--window")) {
            o.window = true;
        } else if (!std::strcmp(arg, "--seconds")) {
            const char* v = value();
            char* end = nullptr;
            // !(x >= 0) also refuses nan (which ran forever) and inf; a day at most.
            if (!v || !*v || (o.seconds = std::strtod(v, &end), *end) || !(o.seconds >= 0) ||
                o.seconds > 86400) {
                std::fprintf(stderr, "vdmabuf-run: bad --seconds %s (want 0..86400; 0: until "
                                     "Ctrl-C)\n", v ? v : "");
                return std::nullopt;
            }
        } else if (!std::strcmp(arg, "--output")) {
            const char* v = value();
            if (!v || !parse_size(v, &o.width, &o.height)) {
                std::fprintf(stderr, "vdmabuf-run: bad --output (want WxH)\n");
                return std::nullopt;
            }
            o.output = v;
        } else if (!std::strcmp(arg, "--screenshot")) {
            const char* v = value();
            if (!v)
                return std::nullopt;
            if (!screenshot_path_ok(v))
                return std::nullopt;
            o.screenshot = v;
        } else if (!std::strcmp(arg, "--")) {
            o.client.assign(argv + i + 1, argv + argc);
            if (o.client.empty()) {
                std::fprintf(stderr, "vdmabuf-run: -- needs a client command\n");
                return std::nullopt;
            }
            break;
        } else {
            std::fprintf(stderr, "vdmabuf-run: unknown option %s\n", arg);
            usage(stderr);
            return std::nullopt;
        }
    }
    return o;
}

} // namespace vdmabuf::run
