// Command line shared by the frame benchmarks: [--json] [--quick] [--frames N].
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace vdmabuf::bench {

struct FrameBenchArgs {
    bool json = false;
    uint64_t frames = 120;
    int exit_code = -1; // >= 0: usage was printed, exit with this
};

// `usage` prints the benchmark's own help.
template <class Usage> FrameBenchArgs parse_frame_bench_args(int argc, char** argv, Usage usage) {
    FrameBenchArgs a;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--json")) {
            a.json = true;
        } else if (!std::strcmp(argv[i], "--quick")) {
            a.frames = 30;
        } else if (!std::strcmp(argv[i], "--frames") && i + 1 < argc) {
            a.frames = std::max<uint64_t>(1, std::strtoull(argv[++i], nullptr, 10));
        } else {
            usage();
            a.exit_code = std::strcmp(argv[i], "--help") ? 2 : 0;
            return a;
        }
    }
    return a;
}

} // namespace vdmabuf::bench
