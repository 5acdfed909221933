// The consumer loop: connects to vdmabufd, imports each buffer once (cached by
// ID) and shows the latest PRESENT of each output it shows in an OutputPane
// (one output, or one window per output with --all-outputs). Releases follow
// ARCHITECTURE.md:
//  - copy path: right after the upload's EGL fence signals;
//  - headless (no window, no zero copy): the newest frame's buffer is held
//    and read only on demand (a screenshot, the buffer or vdmabufd going
//    away, or before the release timeout: then copied whole into host
//    memory, CpuFrame, and released); the previous one is released when a
//    newer frame arrives: it is "flipped away" then; nothing is drawn;
//  - zero-copy path (windows, and headless where vdmabufd hands out dma-bufs
//    and the import is trusted): once the frame showing its successor has
//    been drawn (and swapped) and the fence after that draw has signalled,
//    and, where the presenter has wp_presentation, the compositor reported
//    that frame presented (or discarded; bounded, so a hidden window never
//    stalls the guest);
//  - never more than two held per output (waits for the oldest fence).
// On disconnect it keeps the last frame dimmed ("waiting") and reconnects
// with backoff.
//
// The other direction: window input (and the --commands script) goes to the
// guest as INPUT events, the keymap first; a resized window asks for a new
// mode (debounced); the guest's cursor is kept per output and handed to the
// window system (or drawn) without needing a frame.
#pragma once

#include "import/buffer_key.hpp"
#include "input/commands.hpp"
#include "input/keys.hpp"
#include "options.hpp"
#include "output_pane.hpp"

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/shared/time.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vdmabuf::viewer {

struct ViewerStats {
    uint64_t frames = 0;        // PRESENTs shown (uploaded or imported), all outputs
    uint64_t draws = 0;         // frames rendered by the presenters
    uint64_t releases = 0;      // RELEASEs sent
    // Zero copy: releases whose fence (behind the draw of a later frame) had
    // signalled, checked at the release; and those whose had not (a bug: 0).
    uint64_t releases_after_fence = 0;
    uint64_t releases_before_fence = 0;
    // Pass-through (wl_shm): releases after the compositor's wl_buffer.release
    // of the attach that showed the buffer; and those before it (at exit, a
    // compositor that never answered: 0 normally).
    uint64_t releases_after_wl_release = 0;
    uint64_t releases_before_wl_release = 0;
    uint64_t bytes_total = 0;   // copy path: bytes uploaded (headless held in place: 0)
    int64_t bytes_last = 0;     // copy path: bytes uploaded for the last frame
    // Headless held in place: whole frames copied out of a held buffer on
    // demand (screenshot, buffer or vdmabufd gone, held too long), not per frame.
    uint64_t bytes_copied_on_demand = 0;
    uint64_t copies_on_demand = 0;
    std::vector<int64_t> bytes_per_frame; // first 4096 frames
    uint64_t reconnects = 0;
    uint64_t cursor_moves = 0;   // CURSOR_MOVEs received
    uint64_t cursor_images = 0;  // CURSOR_IMAGEs received
    uint64_t input_events = 0;   // INPUT events sent
    uint64_t mode_requests = 0;  // MODE requests sent
    // Of the last frame: "copy", "dmabuf", "wl_shm", "wl_shm copy" or "held".
    std::string import_path = "none";
    // Daemon accepted PRESENT -> our swap (headless: the frame is held, its
    // pixels readable), last 4096 frames.
    RecentPercentiles latency_us{4096};
};

class Viewer {
public:
    // presenter: the first output's (more of the same kind are made for
    // --all-outputs); commands: the --commands script, loaded by the caller
    // (a bad one is a usage error). nullptr (logged) on failure.
    [[nodiscard]] static std::unique_ptr<Viewer> create(const Options& options,
                                                        std::unique_ptr<Presenter> presenter,
                                                        std::vector<Command> commands = {});
    ~Viewer();
    Viewer(const Viewer&) = delete;
    Viewer& operator=(const Viewer&) = delete;

    // Runs until --frames are done, the window closes, the script quits or
    // SIGINT/SIGTERM (stop_flag). Returns the process exit code.
    int run(const volatile int* stop_flag);
    [[nodiscard]] const ViewerStats& stats() const noexcept { return stats_; }

private:
    struct OutputState {
        std::string name;
        bool connected = false;
        uint32_t width = 0, height = 0;
    };
    struct PendingResize {
        uint32_t width = 0, height = 0;
        uint64_t since_ns = 0;
    };
    struct Motion {
        uint32_t output, x, y;
    };

    explicit Viewer(const Options& options);
    bool connect();
    void handle_disconnect();
    // Once per connection, 1 s in, if nothing is shown yet: which guest and
    // output are awaited and what vdmabufd has (its LIST), as a WARN.
    void say_what_is_missing();
    void handle_present(const consumer::PresentEvent& p);
    void handle_buffer_gone(const vdmabuf_id& id);
    void handle_output(const consumer::OutputInfo& o);
    void handle_cursor_image(const consumer::CursorImage& c);
    void handle_cursor_move(const consumer::CursorMove& c);
    // The pane showing `output`, made on demand where this viewer shows it.
    OutputPane* pane_for(uint32_t output, bool create);
    bool open_pane(uint32_t output);
    void close_pane(uint32_t output);
    [[nodiscard]] OutputPane* primary();
    bool release(const vdmabuf_id& id, uint64_t sequence);

    // Input to the guest.
    void forward_window_input(OutputPane& pane);
    void send(uint32_t output, uint32_t kind, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0,
              uint32_t d = 0);
    void send_key(uint32_t output, uint32_t code, bool pressed);
    void flush_motion();
    void check_resize(OutputPane& pane);
    void request_mode(uint32_t output, uint32_t width, uint32_t height);

    // The --commands script; false when it failed (logged, exit code 1).
    bool step_commands();
    bool run_command(const Command& c);
    bool screenshot_all(const std::string& path);

    void log_once(const std::string& message);
    // Prints "vdmabuf-viewer: waiting" / "showing" on stdout when it changes.
    void set_waiting(bool waiting);
    [[nodiscard]] bool write_stats_json() const; // false (logged) when it cannot
    // Once a second while the HUD is on: the line on stderr, in the title and
    // over the picture (OutputPane::set_hud).
    void hud_tick();
    void toggle_hud();

    Options options_;
    PresenterOptions presenter_options_;
    std::string presenter_kind_;
    std::unique_ptr<consumer::Client> client_;
    std::map<BufferKey, BufferState> buffers_;
    std::map<uint32_t, std::unique_ptr<OutputPane>> panes_;
    std::map<uint32_t, OutputState> outputs_;
    std::map<uint32_t, CursorPixels> cursors_;
    std::map<uint32_t, PendingResize> resizes_;
    std::set<std::string> logged_;
    ViewerStats stats_;

    static constexpr uint32_t kNoGuest = 0xffffffffu;
    // A pane waiting for its output: --output NAME before OUTPUT names it, or
    // the first window of --all-outputs before any output is known.
    static constexpr uint32_t kUnresolved = 0xfffffffeu;
    uint32_t guest_ = kNoGuest; // the guest whose outputs are shown
    std::string guest_name_;
    KeymapName keymap_;
    bool keymap_sent_ = false;
    std::optional<Motion> motion_;     // coalesced, sent once per loop turn
    bool pointer_group_open_ = false;  // events sent since the last FRAME
    bool pointer_on_bars_ = false;     // the last window position is outside the picture
    std::set<uint32_t> buttons_down_;  // presses the guest got, awaiting their release

    std::vector<Command> commands_;
    size_t next_command_ = 0;
    uint64_t wait_until_ns_ = 0, wait_deadline_ns_ = 0, wait_frames_ = 0;
    bool waiting_command_ = false;

    bool waiting_ = true; // no live guest frame on any output
    bool done_ = false;   // --frames reached or the script quit
    bool failed_ = false; // the script failed
    bool disconnected_ = false;
    bool ready_printed_ = false;
    uint64_t connected_ns_ = 0;  // when the current connection was made
    bool missing_said_ = false;  // say_what_is_missing() spoke on this connection
    unsigned connect_failures_ = 0; // in a row; the first of an outage is logged
    int connect_errno_ = 0;
    bool hud_ = false;
    uint64_t pending_latency_ns_ = 0; // host_time_ns of the newest unswapped frame
    uint64_t hud_last_ns_ = 0, hud_frames_ = 0;
};

} // namespace vdmabuf::viewer
