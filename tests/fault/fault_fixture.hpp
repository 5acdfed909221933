// The fault suite's pieces: the real processes (vdmabuf-viewer headless,
// vdmabuf-compositor with the pattern client), what vdmabufd says about its
// guests, buffers and consumers (LIST/STATS JSON over a control connection),
// and what /proc says about each process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/shared/child_process.hpp>

namespace vdmabuf::fault {

[[nodiscard]] std::string viewer_path();
[[nodiscard]] std::string vdmabufctl_path();

// A headless vdmabuf-viewer on `consumer_socket`, waited for until ready.
// Empty on failure.
[[nodiscard]] ChildProcess start_viewer(const std::string& consumer_socket);

// vdmabuf-compositor (640x480@60) on `guest_socket` running the pattern client
// animating a square, with XDG_RUNTIME_DIR = runtime_dir; waited for until ready.
[[nodiscard]] ChildProcess start_compositor(const std::string& guest_socket,
                                            const std::string& runtime_dir);

// What LIST and STATS say, summed over guests and consumers.
struct DaemonState {
    size_t guests = 0, buffers = 0, in_flight = 0;
    size_t consumers = 0, held = 0, queued = 0, max_queued = 0;
    uint64_t presents = 0, timeouts = 0, coalesced = 0;
    uint64_t released_timeout = 0, released_dropped = 0;
};

// A control connection to vdmabufd (role CONTROL: it receives no frames).
class Control {
public:
    [[nodiscard]] static std::unique_ptr<Control> connect(const std::string& consumer_socket);
    // nullopt if the daemon did not answer.
    [[nodiscard]] std::optional<DaemonState> state(int timeout_ms = 2000);
    [[nodiscard]] consumer::Client& client() { return *client_; }

private:
    std::unique_ptr<consumer::Client> client_;
};

// Runs `vdmabufctl --connect SOCKET ARGS...` and returns its stdout; nullopt if
// it did not exit 0.
[[nodiscard]] std::optional<std::string> run_vdmabufctl(const std::string& consumer_socket,
                                                        std::vector<std::string> args);

// A "name N" counter from vdmabufctl's text output ("timeouts 3" -> 3).
[[nodiscard]] std::optional<uint64_t> text_counter(const std::string& text, const std::string& name);

// Polls pred every few ms until it is true (true) or timeout_ms passes (false).
bool poll_until(const std::function<bool()>& pred, int timeout_ms, int step_ms = 5);

// Milliseconds since `start_ns` (now_ns()).
[[nodiscard]] double ms_since(uint64_t start_ns);

} // namespace vdmabuf::fault
