// The interactive suite's pieces on top of the screenshot suite's Scene (a
// real vdmabufd + vdmabuf-compositor, its consumer releasing every frame):
// the headless vdmabuf-viewer driven by a --commands script, and Wayland
// clients whose stdout goes to a file the test reads while it keeps the
// pipeline pumped (vdmabuf-input-client prints one line per input event).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <vdmabuf/shared/child_process.hpp>
#include <vdmabuf/shared/png.hpp>

#include "scene.hpp"

namespace vdmabuf::interactive {

using screenshot::Scene;

// tests/clients/vdmabuf-input-client; exits 77 (skip) when this build has none.
std::string require_input_client();

// A client of the scene's compositor with stdout in <runtime dir>/<name>.log.
class LoggedClient {
public:
    [[nodiscard]] static std::optional<LoggedClient> start(Scene& scene, const std::string& name,
                                                           const std::vector<std::string>& argv);
    [[nodiscard]] std::vector<std::string> lines() const;
    [[nodiscard]] bool has_line(const std::string& line) const;
    // Pumps the scene until `line` is printed; false after timeout_ms.
    bool wait_for_line(Scene& scene, const std::string& line, int timeout_ms) const;
    ChildProcess process;

private:
    std::string log_;
};

// The keysym names of its "key KEYSYM UTF8 pressed" lines, in order.
[[nodiscard]] std::vector<std::string> pressed_keysyms(const LoggedClient& c);

// vdmabuf-viewer --presenter headless --no-reconnect --commands <script>
// plus `args`; its stats JSON in stats_path.
class ScriptedViewer {
public:
    [[nodiscard]] static std::optional<ScriptedViewer> start(Scene& scene, const std::string& name,
                                                             const std::string& script,
                                                             std::vector<std::string> args,
                                                             std::string& error);
    // Pumps the scene until the viewer exits; its wait status, -1 on timeout.
    int wait_exit(Scene& scene, int timeout_ms);
    [[nodiscard]] std::string stats() const;
    ChildProcess process;
    std::string stats_path;
};

// The bounding box of the pixels of colour rgb (0xRRGGBB) in a frame.
struct Box {
    uint32_t x0 = 0, y0 = 0, x1 = 0, y1 = 0; // x1, y1 exclusive
    uint64_t pixels = 0;
};
[[nodiscard]] Box find_colour(const compositor_test::FrameView& v, uint32_t rgb);

} // namespace vdmabuf::interactive
