// CPU time of the processes on a path, from /proc: utime + stime of the whole
// process (all its threads), in ms; the resolution is the 10 ms clock tick.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace vdmabuf::bench_peers {

// utime + stime of `pid` in ms; -1 once it is gone.
[[nodiscard]] double cpu_ms(pid_t pid);

// The same from each living thread's schedstat (ns on a CPU), summed: finer
// than the 10 ms tick, for figures of a few ms a second; threads that have
// exited are missing. -1 if unreadable.
[[nodiscard]] double cpu_ms_fine(pid_t pid);

// One process of a path as the table names it. With `descendants`, its living
// descendants count too (weston's helper clients, waypipe's per-connection
// processes), except the client's subtree.
struct Member {
    std::string name;
    pid_t pid = -1;
    bool descendants = false;
};

// The member's CPU in ms now, leaving out `client` and its descendants.
[[nodiscard]] double member_cpu_ms(const Member& m, pid_t client);

} // namespace vdmabuf::bench_peers
