// vdmabufd's command line.
#pragma once

#include <vdmabuf/shared/busy_poll.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

namespace vdmabuf::backend {

// The same default as the client libraries' waits.
inline constexpr uint32_t kDefaultBusyPollUs = BusyPoll::kDefaultBudgetUs;

struct DaemonOptions {
    std::string guest_socket;    // default <runtime dir>/guest.sock
    std::string consumer_socket; // default <runtime dir>/consumer.sock
    uint32_t release_timeout_ms = 2000;
    uint32_t max_buffers_per_guest = 64;
    uint32_t max_guests = 64; // guest connections at once; more are refused
    // Busy-poll budget of the event loop in µs (0 = off); see docs/busy-poll.md.
    uint32_t busy_poll_us = kDefaultBusyPollUs;

    bool try_udmabuf = true;
    bool mem_slots = true; // --mem-slots off: SET_MEM_TABLE only (docs/qemu.md, restarts)
    bool writable_imports = true; // --no-writable-imports
    bool seccomp = true; // --no-seccomp: for debugging only
    std::string log_level; // empty: VDMABUF_LOG or the default
};

enum class ParseStatus { run, help, error };

// Parses argv; on error prints the reason and the usage to stderr.
[[nodiscard]] ParseStatus parse_daemon_options(int argc, char** argv, DaemonOptions& out);
void print_usage(FILE* to);
// $XDG_RUNTIME_DIR/vdmabuf, or /tmp/vdmabuf-$UID; created 0700 if missing. Empty on failure.
[[nodiscard]] std::string default_runtime_dir();

} // namespace vdmabuf::backend
