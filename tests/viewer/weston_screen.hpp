// What a headless weston (pixman) shows, for the viewer's Wayland window
// tests: weston's own screenshot (weston-screenshooter, weston --debug) and
// whether a frame is on it 1:1, exactly.
#pragma once

#include "viewer_fixture.hpp"
#include "weston.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace vdmabuf::viewer_test {

inline constexpr const char* kScreenshooter = "/usr/bin/weston-screenshooter";

// Starts weston headless (800x600, pixman, --debug) and points the viewer
// and weston-screenshooter at it through the environment.
[[nodiscard]] bool start_weston(Weston& weston);
// weston-screenshooter's PNG of the whole screen; nullopt when it failed.
[[nodiscard]] std::optional<Image> screenshot(const std::string& dir);
// Whether at one offset every pixel of the w x h XRGB frame (rows `stride`
// bytes apart) matches the screen exactly (alpha ignored).
[[nodiscard]] bool screen_shows(const Image& screen, const uint8_t* frame, uint32_t stride,
                                uint32_t w, uint32_t h);
// Until weston's screenshot shows the frame (10 s, pumping the guest); the
// last screenshot is written to keep_as when it never did.
[[nodiscard]] bool weston_shows(ViewerRun& run, Weston& weston, const uint8_t* frame,
                                uint32_t stride, uint32_t w, uint32_t h,
                                const std::string& keep_as);
[[nodiscard]] inline bool weston_shows(ViewerRun& run, Weston& weston,
                                       const harness::ExportedBuffer& b, uint32_t w, uint32_t h,
                                       const std::string& keep_as) {
    return weston_shows(run, weston, b.memory->data(), b.stride, w, h, keep_as);
}

} // namespace vdmabuf::viewer_test
