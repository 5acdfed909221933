// The figures: a table per scenario, or one JSON object; and the issue's
// targets at 1920x1080 full damage (and the viewer's at 64x64), met or not.
#pragma once

#include "measure.hpp"

#include <cstdio>
#include <vector>

namespace vdmabuf::bench_peers {

struct RunInfo {
    Timing timing;
    int rounds = 1;
    bool quick = false;
};

void print_table(const std::vector<Result>& results, const RunInfo& info, FILE* out);
void print_json(const std::vector<Result>& results, const RunInfo& info);

} // namespace vdmabuf::bench_peers
