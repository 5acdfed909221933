// A private Xvfb on a free display number for the X11 window tests, and the
// window the viewer maps on it (no window manager runs, so it is the one
// viewable top-level window). Xlib is not included here: its macros (None,
// Bool, ...) clash with gtest, so test files include it after gtest.
#pragma once

#include <string>

#include <vdmabuf/shared/child_process.hpp>

typedef struct _XDisplay Display; // as Xlib declares them
typedef unsigned long Window;

namespace vdmabuf::viewer_test {

inline constexpr const char* kXvfbPath = "/usr/bin/Xvfb";

class Xvfb {
public:
    Xvfb() = default;
    ~Xvfb();
    Xvfb(const Xvfb&) = delete;
    Xvfb& operator=(const Xvfb&) = delete;

    // Starts Xvfb with one screen of `screen` ("WxHxDEPTH") and connects to
    // it, polling until it accepts; false if no display number worked.
    [[nodiscard]] bool start(const std::string& screen = "800x600x24");
    [[nodiscard]] Display* dpy() const { return dpy_; }
    // ":N"
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] pid_t pid() const { return proc_.pid(); }

private:
    ChildProcess proc_;
    Display* dpy_ = nullptr;
    std::string name_;
};

// The one viewable child of the root window, 0 if none.
[[nodiscard]] Window viewer_window(Display* d);

} // namespace vdmabuf::viewer_test
