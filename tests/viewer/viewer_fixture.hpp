// A vdmabufd, a synthetic guest and a vdmabuf-viewer child for viewer tests.
#pragma once

#include "actors.hpp"
#include "daemon_process.hpp"

#include <vdmabuf/shared/child_process.hpp>
#include <vdmabuf/shared/png.hpp>

#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::viewer_test {

struct ViewerRun {
    std::unique_ptr<harness::DaemonProcess> daemon;
    std::unique_ptr<harness::GuestActor> guest;
    ChildProcess viewer;
    std::string dir; // scratch: screenshots, stats

    // Starts the daemon and the guest; false (with a gtest failure) on error.
    // scattered: guest buffers in many small extents (DeviceOptions::scattered);
    // daemon_args: extra vdmabufd arguments.
    [[nodiscard]] bool start(const std::string& guest_name = "viewer-test", bool scattered = false,
                             std::vector<std::string> daemon_args = {});
    // Spawns vdmabuf-viewer with --connect and `args` (and --no-reconnect
    // unless `reconnect`), waits for "ready".
    // stderr_fd >= 0: the viewer's log goes there.
    [[nodiscard]] bool spawn_viewer(std::vector<std::string> args, bool reconnect = false,
                                    int stderr_fd = -1);
    // Pumps the guest until the viewer exits; its wait status, or -1 on timeout.
    int wait_viewer_exit(int timeout_ms);
    // Pumps the guest until it has `n` releases.
    bool wait_releases(size_t n, int timeout_ms);
    [[nodiscard]] std::string path(const std::string& name) const { return dir + "/" + name; }
};

// The stats file's "key": number (first match); nullopt if absent.
[[nodiscard]] std::optional<long long> json_number(const std::string& json, const std::string& key);
[[nodiscard]] std::vector<long long> json_numbers(const std::string& json, const std::string& key);
[[nodiscard]] std::string read_file(const std::string& path);
// Count of pixels that differ between a PNG (ARGB) and guest memory (XRGB, alpha forced).
[[nodiscard]] size_t diff_pixels(const Image& png, const uint8_t* pixels, uint32_t stride);

} // namespace vdmabuf::viewer_test
