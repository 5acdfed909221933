// One window-suite run: a private Xvfb, the interactive suite's scene (real
// vdmabufd + vdmabuf-compositor) with vdmabuf-input-client maximized on its
// 800x600 output, and vdmabuf-viewer showing it in a real window:
//  - x11: --presenter x11, its own X window (sized to the first frame);
//  - wayland: --presenter wayland in a weston nested in Xvfb (x11 backend,
//    one 1000x500 output; kiosk shell, so the viewer's xdg_toplevel is
//    fullscreen there) and weston's X window is "the window": X input into
//    it reaches the viewer as wl_keyboard / wl_pointer events.
// start() returns once the window shows the client's colour, has the
// keyboard focus and the guest client has heard the pointer enter.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "session.hpp"
#include "weston.hpp"
#include "x_input.hpp"

namespace vdmabuf::window_test {

using interactive::LoggedClient;
using interactive::Scene;

inline constexpr int kTimeoutMs = 30000;
inline constexpr uint32_t kClientColour = 0x3366cc;
inline constexpr uint32_t kGuestWidth = 800, kGuestHeight = 600;
// weston's output in the wayland mode.
inline constexpr int kWestonWidth = 1000, kWestonHeight = 500;

enum class Presenter { x11, wayland };

struct RunOptions {
    Presenter presenter = Presenter::x11;
    // wayland: kiosk-shell (the viewer fullscreen from its first configure),
    // else desktop-shell (the viewer's window at its own size, placed by weston).
    bool kiosk = true;
    // wayland: weston's output scale (2: HiDPI, the viewer draws 2x buffers).
    int weston_scale = 1;
    std::vector<std::string> client_args; // more vdmabuf-input-client arguments
    std::vector<std::string> viewer_args; // more vdmabuf-viewer arguments
    // Called with the X display before the viewer starts.
    std::function<void(Display*)> before_viewer;
    // Leave the pointer outside the window (start() does not wait for enter).
    bool pointer_outside = false;
};

class WindowRun {
public:
    // Exits 77 (skip) with the reason when Xvfb, XTEST or the input client is
    // missing; "" on success, else what failed.
    [[nodiscard]] std::string start(const std::string& name, const RunOptions& opts);

    [[nodiscard]] Display* dpy() const { return x_.dpy(); }
    [[nodiscard]] Window window() const { return window_; }
    [[nodiscard]] const XInput& input() const { return *input_; }
    [[nodiscard]] Scene& scene() { return *scene_; }
    [[nodiscard]] LoggedClient& client() { return *client_; }

    // Pumps the pipeline until pred() holds; false after timeout_ms.
    bool pump_until(const std::function<bool()>& pred, int timeout_ms = kTimeoutMs);
    // The window's size, {0, 0} if it cannot be read.
    [[nodiscard]] std::pair<int, int> window_size() const;
    // The RGB of window pixel (x, y), nullopt if it cannot be read.
    [[nodiscard]] std::optional<uint32_t> window_pixel(int x, int y) const;
    // Resizes the window (no window manager: the server does it at once).
    // Wayland: weston's output has a fixed size; nothing is done.
    void resize(int width, int height) const;
    // The viewer's working directory (Ctrl+Alt+S writes there).
    [[nodiscard]] const std::string& viewer_dir() const { return viewer_dir_; }
    // Whether the viewer's stderr has a line containing `text`.
    [[nodiscard]] bool viewer_logged(const std::string& text) const;

    [[nodiscard]] Presenter presenter() const { return presenter_; }

private:
    [[nodiscard]] std::string start_weston(bool kiosk, int scale);

    Presenter presenter_ = Presenter::x11;
    viewer_test::Xvfb x_;
    viewer_test::Weston weston_;
    std::unique_ptr<Scene> scene_;
    std::optional<LoggedClient> client_;
    std::optional<XInput> input_;
    ChildProcess viewer_;
    std::string viewer_log_, viewer_dir_;
    Window window_ = 0;
};

// Client lines from index `from` on whose first word is `word`.
[[nodiscard]] std::vector<std::string> lines_of(const LoggedClient& c, const std::string& word,
                                                size_t from = 0);

} // namespace vdmabuf::window_test
