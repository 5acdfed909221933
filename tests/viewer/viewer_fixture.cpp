#include "viewer_fixture.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace vdmabuf::viewer_test {

bool ViewerRun::start(const std::string& guest_name, bool scattered,
                      std::vector<std::string> daemon_args) {
    daemon = harness::DaemonProcess::start(std::move(daemon_args));
    EXPECT_TRUE(daemon);
    if (!daemon)
        return false;
    frontend::DeviceOptions opts;
    opts.name = guest_name;
    opts.memory_size = 64 << 20;
    opts.scattered = scattered;
    guest = harness::GuestActor::open(daemon->guest_socket(), opts);
    EXPECT_TRUE(guest);
    dir = daemon->dir();
    return guest != nullptr;
}

bool ViewerRun::spawn_viewer(std::vector<std::string> args, bool reconnect, int stderr_fd) {
    std::vector<std::string> argv = {VDMABUF_VIEWER_PATH, "--connect", daemon->consumer_socket()};
    if (!reconnect)
        argv.push_back("--no-reconnect");
    argv.insert(argv.end(), args.begin(), args.end());
    viewer = ChildProcess::spawn(argv, stderr_fd);
    EXPECT_TRUE(viewer);
    bool ready = viewer && viewer.wait_for_line("vdmabuf-viewer: ready", 10000);
    EXPECT_TRUE(ready) << "viewer never printed ready";
    return ready;
}

int ViewerRun::wait_viewer_exit(int timeout_ms) {
    int status = -1;
    bool exited = harness::pump_until([&] { return viewer.exited(&status); }, timeout_ms,
                                      {guest.get()}, {});
    return exited ? status : -1;
}

bool ViewerRun::wait_releases(size_t n, int timeout_ms) {
    return harness::pump_until([&] { return guest->releases.size() >= n; }, timeout_ms,
                               {guest.get()}, {});
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::optional<long long> json_number(const std::string& json, const std::string& key) {
    auto pos = json.find("\"" + key + "\":");
    if (pos == std::string::npos)
        return std::nullopt;
    return std::strtoll(json.c_str() + pos + key.size() + 3, nullptr, 10);
}

std::vector<long long> json_numbers(const std::string& json, const std::string& key) {
    std::vector<long long> out;
    auto pos = json.find("\"" + key + "\": [");
    if (pos == std::string::npos)
        return out;
    const char* p = json.c_str() + pos + key.size() + 5;
    while (*p && *p != ']') {
        char* end = nullptr;
        long long v = std::strtoll(p, &end, 10);
        if (end == p)
            break;
        out.push_back(v);
        p = end;
        while (*p == ',' || *p == ' ')
            ++p;
    }
    return out;
}

size_t diff_pixels(const Image& png, const uint8_t* pixels, uint32_t stride) {
    size_t bad = 0;
    for (uint32_t y = 0; y < png.height; ++y)
        for (uint32_t x = 0; x < png.width; ++x) {
            uint32_t a, b;
            std::memcpy(&a, png.pixels.data() + size_t(y) * png.stride + x * 4, 4);
            std::memcpy(&b, pixels + size_t(y) * stride + x * 4, 4);
            if (a != (b | 0xff000000u))
                ++bad;
        }
    return bad;
}

} // namespace vdmabuf::viewer_test
