// What the X11 viewer tests read back from Xvfb: the viewer window's size and
// whether it shows a frame exactly. No Xlib here (see xvfb.hpp).
#pragma once

#include "viewer_fixture.hpp"
#include "xvfb.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace vdmabuf::viewer_test {

// The viewer window's size, {0, 0} without one.
[[nodiscard]] std::pair<int, int> window_size(Display* d);

// A frame's pixels (XRGB8888).
struct Pixels {
    const uint8_t* data;
    uint32_t stride, width, height;
};

// Whether the window is the frame 1:1 at its centre, every pixel exact, and
// black around it (the bars); *why says how far off it is.
[[nodiscard]] bool window_shows(Display* d, const Pixels& frame, std::string* why);
[[nodiscard]] bool window_shows(Display* d, const harness::ExportedBuffer& b, std::string* why);
// The same, pumping the guest until it holds (10 s).
[[nodiscard]] bool wait_window_shows(ViewerRun& run, Display* d, const Pixels& frame,
                                     std::string* why);
[[nodiscard]] bool wait_window_shows(ViewerRun& run, Display* d,
                                     const harness::ExportedBuffer& b, std::string* why);

// Starts Xvfb and points DISPLAY at it; X errors of ours (a read-back racing
// a resize) are ignored from then on.
[[nodiscard]] bool start_x(Xvfb& x);
// The viewer's log file, also printed for the test log.
[[nodiscard]] std::string viewer_log(const std::string& path);

} // namespace vdmabuf::viewer_test
