// Command line of vdmabuf-compositor:
//   vdmabuf-compositor [--device PATH] [--output WxH[@Hz]]... [--xwayland]
//                      [--max-fps N] [--render culled|wlroots] [--renderer auto|pixman|gl]
//                      [--drm-node PATH] [-s CMD | -- CMD ARGS...]
// Pure logic (no wlroots), unit-tested in tests/unit/compositor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::compositor {

struct OutputMode {
    int32_t width = 1920;
    int32_t height = 1080;
    int32_t refresh_mhz = 60000;
};

// Who draws the frames (server.cpp, render/gl_setup.hpp): auto probes for GL.
enum class RendererChoice { automatic, pixman, gl };

struct Options {
    std::string device;              // empty: default_device_path()
    std::vector<OutputMode> outputs; // empty after parsing never: one default output
    bool xwayland = false;
    uint32_t max_fps = 0;        // 0: only the output refresh limits the rate
    bool render_wlroots = false; // --render wlroots: wlr_scene_output_commit
    RendererChoice renderer = RendererChoice::automatic; // --renderer
    std::string drm_node;                  // --drm-node (GL); empty: each /dev/dri/card*
    std::string shell_command;             // -s CMD (run by /bin/sh -c)
    std::vector<std::string> command_argv; // -- CMD ARGS...
    bool help = false;
};

// "WxH" or "WxH@Hz" (Hz may have decimals: 59.94). Sizes 1..16384, rate 1..1000 Hz.
[[nodiscard]] std::optional<OutputMode> parse_output_mode(const std::string& text);

// nullopt (with a message in `error`) on a bad command line.
[[nodiscard]] std::optional<Options> parse_options(int argc, const char* const* argv,
                                                   std::string& error);

// The kernel device if `dev_exists`, else $XDG_RUNTIME_DIR/vdmabuf/guest.sock, else
// /tmp/vdmabuf-$UID/guest.sock (vdmabufd's default guest socket).
[[nodiscard]] std::string default_device_path(bool dev_exists, const char* xdg_runtime_dir,
                                              unsigned uid);

// "auto", "pixman", "gl".
[[nodiscard]] const char* renderer_name(RendererChoice choice);

[[nodiscard]] const char* usage();

} // namespace vdmabuf::compositor
