// vdmabuf-run's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::run {

struct Options {
    bool window = false;
    bool vm = false; // the guest compositor in a QEMU guest (tools/vdmabuf-run/vm-guest.sh)
    double seconds = 5;  // 0: until Ctrl-C (or the window is closed)
    std::string output = "1280x720";
    uint32_t width = 1280, height = 720;
    std::string screenshot = "out/vdmabuf-run.png";
    std::vector<std::string> client; // empty: the demo pattern client
};

// nullopt with *exit_code set (0 for --help) when the program should stop.
std::optional<Options> parse_options(int argc, char** argv, int* exit_code);

} // namespace vdmabuf::run
