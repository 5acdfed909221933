#include "options.hpp"

#include <cerrno>
#include <cstdlib>

namespace vdmabuf::compositor {

namespace {

bool parse_int(const std::string& text, long min, long max, long& out) {
    if (text.empty())
        return false;
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return false;
    out = value;
    return true;
}

} // namespace

std::optional<OutputMode> parse_output_mode(const std::string& text) {
    const size_t x = text.find('x');
    if (x == std::string::npos)
        return std::nullopt;
    const size_t at = text.find('@', x);
    const std::string w = text.substr(0, x);
    const std::string h = text.substr(x + 1, at == std::string::npos ? std::string::npos
                                                                     : at - x - 1);
    long width = 0;
    long height = 0;
    if (!parse_int(w, 1, 16384, width) || !parse_int(h, 1, 16384, height))
        return std::nullopt;
    OutputMode mode{static_cast<int32_t>(width), static_cast<int32_t>(height), 60000};
    if (at != std::string::npos) {
        const std::string hz = text.substr(at + 1);
        if (hz.empty())
            return std::nullopt;
        char* end = nullptr;
        errno = 0;
        const double rate = std::strtod(hz.c_str(), &end);
        if (errno != 0 || *end != '\0' || !(rate >= 1.0 && rate <= 1000.0))
            return std::nullopt;
        mode.refresh_mhz = static_cast<int32_t>(rate * 1000.0 + 0.5);
    }
    return mode;
}

std::optional<Options> parse_options(int argc, const char* const* argv, std::string& error) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) {
                error = arg + " needs a value";
                return false;
            }
            out = argv[++i];
            return true;
        };
        std::string v;
        if (arg == "-h" || arg == "--help") {
            options.help = true;
        } else if (arg == "--device") {
            if (!value(options.device))
                return std::nullopt;
        } else if (arg == "--output") {
            if (!value(v))
                return std::nullopt;
            const auto mode = parse_output_mode(v);
            if (!mode) {
                error = "--output " + v + ": expected WxH or WxH@Hz";
                return std::nullopt;
            }
            options.outputs.push_back(*mode);
        } else if (arg == "--xwayland") {
            options.xwayland = true;
        } else if (arg == "--max-fps") {
            long fps = 0;
            if (!value(v))
                return std::nullopt;
            if (!parse_int(v, 1, 1000, fps)) {
                error = "--max-fps " + v + ": expected 1..1000";
                return std::nullopt;
            }
            options.max_fps = static_cast<uint32_t>(fps);
        } else if (arg == "--render") {
            if (!value(v))
                return std::nullopt;
            if (v != "culled" && v != "wlroots") {
                error = "--render " + v + ": expected culled or wlroots";
                return std::nullopt;
            }
            options.render_wlroots = v == "wlroots";
        } else if (arg == "--renderer") {
            if (!value(v))
                return std::nullopt;
            if (v == "auto") {
                options.renderer = RendererChoice::automatic;
            } else if (v == "pixman") {
                options.renderer = RendererChoice::pixman;
            } else if (v == "gl") {
                options.renderer = RendererChoice::gl;
            } else {
                error = "--renderer " + v + ": expected auto, pixman or gl";
                return std::nullopt;
            }
        } else if (arg == "--drm-node") {
            if (!value(options.drm_node))
                return std::nullopt;
        } else if (arg == "-s") {
            if (!value(options.shell_command))
                return std::nullopt;
        } else if (arg == "--") {
            for (++i; i < argc; ++i)
                options.command_argv.emplace_back(argv[i]);
            if (options.command_argv.empty()) {
                error = "-- needs a command";
                return std::nullopt;
            }
        } else {
            error = "unknown argument " + arg;
            return std::nullopt;
        }
    }
    if (!options.shell_command.empty() && !options.command_argv.empty()) {
        error = "-s and -- exclude each other";
        return std::nullopt;
    }
    if (options.outputs.size() > 16) {
        error = "at most 16 outputs (the device's output indices are 0..15)";
        return std::nullopt;
    }
    if (options.outputs.empty())
        options.outputs.push_back(OutputMode{});
    return options;
}

std::string default_device_path(bool dev_exists, const char* xdg_runtime_dir, unsigned uid) {
    if (dev_exists)
        return "/dev/virtio-vdmabuf";
    if (xdg_runtime_dir && *xdg_runtime_dir)
        return std::string(xdg_runtime_dir) + "/vdmabuf/guest.sock";
    return "/tmp/vdmabuf-" + std::to_string(uid) + "/guest.sock";
}

const char* renderer_name(RendererChoice choice) {
    switch (choice) {
    case RendererChoice::automatic:
        return "auto";
    case RendererChoice::pixman:
        return "pixman";
    case RendererChoice::gl:
        return "gl";
    }
    return "?";
}

const char* usage() {
    return "usage: vdmabuf-compositor [--device PATH] [--output WxH[@Hz]]... [--xwayland]\n"
           "                          [--max-fps N] [--render culled|wlroots]\n"
           "                          [--renderer auto|pixman|gl] [--drm-node PATH]\n"
           "                          [-s CMD | -- CMD ARGS...]\n"
           "  --device PATH     vdmabufd guest socket or /dev/virtio-vdmabuf (default: the\n"
           "                    kernel device if present, else $XDG_RUNTIME_DIR/vdmabuf/guest.sock,\n"
           "                    else /tmp/vdmabuf-$UID/guest.sock)\n"
           "  --output WxH[@Hz] add an output (default one 1920x1080@60)\n"
           "  --xwayland        start Xwayland (DISPLAY is exported to the command)\n"
           "  --max-fps N       cap the frame rate of every output\n"
           "  --render PATH     culled (default): occluded nodes are not drawn, surfaces\n"
           "                    blitted; wlroots: wlr_scene_output_commit as is (same\n"
           "                    pixels, for comparison)\n"
           "  --renderer R      pixman: CPU rendering into guest memory (works everywhere);\n"
           "                    gl: wlroots' GLES2 on a DRM primary node (/dev/dri/card*)\n"
           "                    into GBM buffers exported as dma-bufs, which needs the\n"
           "                    kernel device (exit 1 if that cannot work); auto\n"
           "                    (default): gl where it works, else pixman (says why)\n"
           "  --drm-node PATH   the DRM primary node for gl (default: the first\n"
           "                    /dev/dri/card* that renders)\n"
           "  -s CMD            run CMD with /bin/sh -c; exit with its status\n"
           "  -- CMD ARGS...    run CMD directly; exit with its status\n";
}

} // namespace vdmabuf::compositor
