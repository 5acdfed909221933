// The consumer loop: connects to vdmabufd, imports each buffer once (cached by
// ID), shows the latest PRESENT of one output through a Presenter, and
// releases what it holds by the rules of ARCHITECTURE.md:
//  - copy path: right after the upload's EGL fence signals;
//  - zero-copy path: once the frame showing its successor has been swapped
//    and the fence after that swap has signalled, and, where the presenter
//    has wp_presentation, the compositor reported that frame presented (or
//    discarded; bounded, so a hidden window never stalls the guest);
//  - never more than two held per output (waits for the oldest fence).
// On disconnect it keeps the last frame dimmed ("waiting") and reconnects
// with backoff.
#pragma once

#include "egl/fence.hpp"
#include "egl/renderer.hpp"
#include "import/buffer_key.hpp"
#include "import/copy_importer.hpp"
#include "import/dmabuf_importer.hpp"
#include "options.hpp"
#include "present/presenter.hpp"

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/shared/time.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vdmabuf::viewer {

struct ViewerStats {
    uint64_t frames = 0;        // PRESENTs shown (uploaded or imported)
    uint64_t draws = 0;         // frames rendered by the presenter
    uint64_t releases = 0;      // RELEASEs sent
    uint64_t bytes_total = 0;   // copy path: bytes uploaded
    int64_t bytes_last = 0;     // copy path: bytes uploaded for the last frame
    std::vector<int64_t> bytes_per_frame; // first 4096 frames
    uint64_t reconnects = 0;
    std::string import_path = "none"; // of the last frame: "copy" or "dmabuf"
    Percentiles latency_us{4096};     // daemon accepted PRESENT -> our swap
};

class Viewer {
public:
    [[nodiscard]] static std::unique_ptr<Viewer> create(const Options& options,
                                                        std::unique_ptr<Presenter> presenter);
    ~Viewer();
    Viewer(const Viewer&) = delete;
    Viewer& operator=(const Viewer&) = delete;

    // Runs until --frames are done, the window closes or SIGINT/SIGTERM
    // (stop_flag). Returns the process exit code.
    int run(const volatile int* stop_flag);
    [[nodiscard]] const ViewerStats& stats() const noexcept { return stats_; }

private:
    struct BufferState {
        consumer::BufferInfo info;
        std::optional<consumer::Import> import;
        const uint8_t* map = nullptr; // copy path: mapped once, reused
        bool dmabuf_failed = false;
    };
    struct Held {
        vdmabuf_id id;
        uint64_t sequence;
        bool zero_copy;
        bool superseded = false; // zero copy: a later frame was queued
        bool fenced = false;     // zero copy: a swap showing the successor was fenced
        EglFence fence;          // release once signalled
        uint64_t swap = 0;       // zero copy + wp_presentation: ...and this swap was shown
        uint64_t fenced_ns = 0;
    };

    Viewer(const Options& options, std::unique_ptr<Presenter> presenter);
    bool connect();
    void handle_disconnect();
    void handle_present(const consumer::PresentEvent& p);
    void handle_buffer_gone(const vdmabuf_id& id);
    // Shows the PRESENT's buffer: true if shown; the caller releases on false.
    bool show(BufferState& b, const consumer::PresentEvent& p, bool* zero_copy);
    void render();
    // Releases every held presentation whose fence has signalled; wait: block.
    void reap(bool wait);
    void enforce_hold_limit();
    bool release(const vdmabuf_id& id, uint64_t sequence);
    bool screenshot(const std::string& path);
    void log_once(const std::string& message);
    // Prints "vdmabuf-viewer: waiting" / "showing" on stdout when it changes.
    void set_waiting(bool waiting);
    void write_stats_json() const;
    void hud_tick();

    Options options_;
    std::unique_ptr<Presenter> presenter_;
    std::unique_ptr<Renderer> renderer_;
    std::unique_ptr<CopyImporter> copy_;
    std::unique_ptr<DmabufImporter> dmabuf_;
    std::unique_ptr<consumer::Client> client_;
    std::map<BufferKey, BufferState> buffers_;
    std::deque<Held> held_;
    std::set<std::string> logged_;
    ViewerStats stats_;

    // What is on screen.
    GLuint shown_texture_ = 0;
    uint32_t shown_width_ = 0, shown_height_ = 0;
    bool shown_opaque_ = true;
    bool dirty_ = false;
    bool waiting_ = true; // no guest frame live: draw the last one dimmed
    bool done_ = false;   // --frames reached
    bool disconnected_ = false;
    bool ready_printed_ = false;
    bool hud_ = false;
    uint64_t pending_latency_ns_ = 0; // host_time_ns of the newest unswapped frame
    uint64_t hud_last_ns_ = 0, hud_frames_ = 0;
    std::string guest_name_;
};

} // namespace vdmabuf::viewer
