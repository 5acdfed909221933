// A real vdmabufd, a host consumer and a real vdmabuf-compositor running a
// startup command, for the compositor tests and the compositor benchmark.
//
// The consumer (Viewer) holds every PRESENT until the test releases it, so a
// test can read a frame knowing the compositor may not draw into it meanwhile.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/shared/child_process.hpp>

#include "daemon_process.hpp"
#include "frames.hpp"

namespace vdmabuf::compositor_test {

// $VDMABUF_COMPOSITOR if set, else the compositor this build made ("" if none).
[[nodiscard]] std::string compositor_path();
// $VDMABUF_PATTERN_CLIENT if set, else tests/clients/vdmabuf-pattern-client.
[[nodiscard]] std::string pattern_client_path();
// The absolute path of `program` found on $PATH, "" if absent.
[[nodiscard]] std::string find_program(const std::string& program);
// Prints why and exits 77 (meson's "skipped") unless `program` is on $PATH.
std::string require_program(const std::string& program, const std::string& package);

// What the daemon forwarded of a guest's OUTPUT, CURSOR_SET and CURSOR_MOVE.
struct OutputEvent {
    uint32_t output = 0, flags = 0, width = 0, height = 0, refresh_mhz = 0;
    std::string name;
};
struct CursorImageEvent {
    uint32_t output = 0, width = 0, height = 0, hotspot_x = 0, hotspot_y = 0;
    std::vector<uint8_t> pixels;
};
struct CursorMoveEvent {
    uint32_t output = 0;
    int32_t x = 0, y = 0;
    bool visible = false;
};

class Viewer {
public:
    [[nodiscard]] static std::unique_ptr<Viewer> connect(const std::string& socket);

    std::optional<uint32_t> guest; // the newest GUEST_NEW
    std::vector<OutputEvent> outputs;
    std::vector<CursorImageEvent> cursor_images;
    std::vector<CursorMoveEvent> cursor_moves;
    std::map<uint32_t, uint64_t> presents_on; // PRESENTs by output
    std::vector<consumer::BufferInfo> buffers_seen; // every BUFFER_NEW
    std::vector<vdmabuf_id> buffers_gone;           // every BUFFER_GONE

    // Presentations received and not yet released, oldest first.
    std::deque<consumer::PresentEvent> held;
    uint64_t presents = 0;           // PRESENTs received in all
    uint64_t buffers_new = 0;        // BUFFER_NEWs received in all
    uint64_t last_present_ns = 0;    // now_ns() when the last one arrived
    bool release_on_arrival = false; // release at once instead of holding
    std::vector<std::tuple<uint32_t, uint32_t, uint64_t>> errors; // request, code, tag
    bool disconnected = false;
    // Called for each PRESENT as it arrives, before it is held or released.
    std::function<void(const consumer::PresentEvent&)> on_present;

    [[nodiscard]] consumer::Client& client() { return *client_; }
    [[nodiscard]] const consumer::BufferInfo* info(const vdmabuf_id& id) const;
    // The buffer's bytes, imported and mapped once per buffer; nullptr on failure.
    [[nodiscard]] const uint8_t* pixels(const vdmabuf_id& id);
    // The presented buffer as an image; pixels null if it cannot be read.
    [[nodiscard]] FrameView frame(const consumer::PresentEvent& p);
    void release(const consumer::PresentEvent& p);
    void release_front();
    void release_all();
    // Releases everything but the newest held presentation.
    void release_all_but_last();

private:
    using Key = std::tuple<uint32_t, uint64_t, uint64_t>;
    static Key key(const vdmabuf_id& id) { return {id.guest, id.counter, id.key}; }

    std::unique_ptr<consumer::Client> client_;
    std::map<Key, consumer::BufferInfo> buffers_;
    std::map<Key, consumer::Import> imports_;
};

struct CompositorOptions {
    std::vector<std::string> outputs{"640x480"}; // --output values
    bool xwayland = false;
    std::vector<std::string> extra_args;  // more compositor arguments
    std::vector<std::string> command;     // the startup command (after --)
    std::vector<std::string> env;         // NAME=value for the compositor and its command
    std::vector<std::string> daemon_args; // e.g. {"--release-timeout", "600000"}
    bool daemon_log_to_file = false;      // vdmabufd's stderr to daemon().log_path()
    std::string stderr_file;              // non-empty: the compositor's stderr goes here
};

class CompositorFixture {
public:
    // Starts everything and waits for "vdmabuf-compositor: ready"; nullptr
    // with `error` set on failure.
    [[nodiscard]] static std::unique_ptr<CompositorFixture> start(const CompositorOptions& opts,
                                                                  std::string& error);
    ~CompositorFixture();
    CompositorFixture(const CompositorFixture&) = delete;
    CompositorFixture& operator=(const CompositorFixture&) = delete;

    [[nodiscard]] harness::DaemonProcess& daemon() { return *daemon_; }
    [[nodiscard]] Viewer& viewer() { return *viewer_; }
    // Drops the consumer and connects a new one to daemon().consumer_socket()
    // (after daemon().restart()); false if it could not connect.
    [[nodiscard]] bool reconnect_viewer();
    [[nodiscard]] ChildProcess& compositor() { return compositor_; }
    [[nodiscard]] const std::string& runtime_dir() const { return runtime_dir_; }
    // The compositor's WAYLAND_DISPLAY (the socket in runtime_dir()); "" if none.
    [[nodiscard]] std::string wayland_display() const;
    // argv prefix that runs a program as a client of this compositor:
    // {"/usr/bin/env", "-u", "DISPLAY", "XDG_RUNTIME_DIR=...", "WAYLAND_DISPLAY=..."}.
    [[nodiscard]] std::vector<std::string> client_env() const;

    // Dispatches the viewer until pred() holds (true) or timeout_ms passes, or
    // the compositor exits (false; compositor_exited() then says so).
    bool pump_until(const std::function<bool()>& pred, int timeout_ms);
    // Dispatches for exactly timeout_ms.
    void pump_for(int timeout_ms) {
        pump_until([] { return false; }, timeout_ms);
    }
    [[nodiscard]] std::optional<int> compositor_exited() const { return exit_status_; }

private:
    CompositorFixture() = default;
    std::string runtime_dir_;
    std::unique_ptr<harness::DaemonProcess> daemon_;
    std::unique_ptr<Viewer> viewer_;
    ChildProcess compositor_; // declared last: stopped first
    std::optional<int> exit_status_;
    uint64_t last_drain_ns_ = 0;
};

} // namespace vdmabuf::compositor_test
