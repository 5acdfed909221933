// The figures printed at the end of a run, from the viewer's --stats-json file
// and vdmabufd's STATS JSON.
#pragma once

#include <optional>
#include <string>

namespace vdmabuf::run {

struct RunFacts {
    double viewer_seconds = 0;       // viewer ready -> viewer told to stop
    std::string viewer_stats_json;   // empty if the viewer wrote none
    std::string daemon_stats_json;   // empty if the daemon could not be asked
    std::string screenshot;          // path; checked here
};

// Prints the figures on stdout. False if there is nothing to show (no frame
// reached the viewer, or no screenshot was written).
bool print_figures(const RunFacts& facts);

// vdmabufd's STATS JSON over its consumer socket; nullopt (logged) on failure.
std::optional<std::string> query_daemon_stats(const std::string& consumer_socket);

} // namespace vdmabuf::run
