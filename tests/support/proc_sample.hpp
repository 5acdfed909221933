// What /proc says about a process right now: open descriptors (and how many
// of them are memfds), memfd mappings, resident memory, its descendants. For the soak
// benchmark and the fault suite, which watch other processes for leaks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace vdmabuf::harness {

struct ProcSample {
    size_t fds = 0;     // entries of /proc/PID/fd
    size_t memfds = 0;  // of which point at "/memfd:..."
    size_t memfd_maps = 0; // lines of /proc/PID/maps that map a "/memfd:..."
    uint64_t rss_kib = 0;
};

// nullopt once the process is gone (or /proc cannot be read).
[[nodiscard]] std::optional<ProcSample> sample_process(pid_t pid);
// The short name (/proc/PID/comm), "" if gone.
[[nodiscard]] std::string process_name(pid_t pid);
// Every living descendant of pid (children, their children, ...).
[[nodiscard]] std::vector<pid_t> descendants(pid_t pid);
// The "Seccomp:" field of /proc/PID/status (0 off, 1 strict, 2 filter); -1 if unreadable.
[[nodiscard]] int seccomp_mode(pid_t pid);
// Number of entries in /dev/shm (named shared memory left by anyone).
[[nodiscard]] size_t dev_shm_entries();

} // namespace vdmabuf::harness
