// One guest output on screen: its presenter (a window, or an FBO headless),
// the pipeline that shows its frames (zero-copy import into GL where vdmabufd
// hands out dma-bufs and the import is trusted, see import_probe.hpp; else
// windows upload a copy into GL and headless holds the newest frame's buffer
// itself, copying it into host memory, CpuFrame, only on demand),
// the presentations it holds and when each may be released (the rules in
// viewer.hpp), the guest's cursor for this output, and the mapping of window
// pointer coordinates onto output pixels. The Viewer owns one per output
// shown and routes PRESENTs, cursor messages and window input through it.
#pragma once

#include "egl/fence.hpp"
#include "egl/renderer.hpp"
#include "import/copy_importer.hpp"
#include "import/cpu_frame.hpp"
#include "import/dmabuf_importer.hpp"
#include "import/import_choice.hpp"
#include "present/presenter.hpp"

#include <vdmabuf/consumer/client.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace vdmabuf::viewer {

// "GUEST:COUNTER", as vdmabufd's own log lines name buffers.
[[nodiscard]] std::string buffer_name(const vdmabuf_id& id);

struct ViewerStats;

// What the Viewer knows of one guest buffer (shared by every pane).
struct BufferState {
    consumer::BufferInfo info;
    std::optional<consumer::Import> import;
    bool dmabuf_failed = false;
};

class OutputPane {
public:
    using ReleaseFn = std::function<bool(const vdmabuf_id&, uint64_t)>;
    // nullptr (logged) when the presenter's context cannot run the renderer.
    [[nodiscard]] static std::unique_ptr<OutputPane>
    create(uint32_t output, std::unique_ptr<Presenter> presenter, ViewerStats& stats,
           ReleaseFn release, ImportChoice import = ImportChoice::Auto);
    ~OutputPane();
    OutputPane(const OutputPane&) = delete;
    OutputPane& operator=(const OutputPane&) = delete;

    [[nodiscard]] uint32_t output() const noexcept { return output_; }
    void set_output(uint32_t output) noexcept { output_ = output; }
    [[nodiscard]] Presenter& presenter() noexcept { return *presenter_; }
    [[nodiscard]] uint64_t frames() const noexcept { return frames_; }
    [[nodiscard]] uint32_t frame_width() const noexcept { return shown_width_; }
    [[nodiscard]] uint32_t frame_height() const noexcept { return shown_height_; }
    [[nodiscard]] bool has_frame() const noexcept {
        return shown_texture_ != 0 || shown_in_memory_ || pass_through_shown_ ||
               held_in_place_.has_value();
    }
    std::string name; // the guest's name for the output ("" until OUTPUT says)

    // Shows a PRESENT of a buffer the Viewer has imported; false when it could
    // not (the caller releases it).
    bool present(BufferState& b, const consumer::PresentEvent& p);
    void buffer_gone(const vdmabuf_id& id);
    // vdmabufd went away: it released everything; imports die.
    void disconnected();
    void set_waiting(bool waiting);
    void mark_dirty() noexcept { dirty_ = true; }
    [[nodiscard]] bool dirty() const noexcept { return dirty_; }
    void render();
    // Releases every held presentation whose fence has signalled; wait: block.
    void reap(bool wait);
    // Releases everything still held (leaving); zero-copy holds after a fence
    // behind every draw issued so far. keep_picture: a frame held in place is
    // copied out first, so the pane still shows it (false: the viewer exits).
    void release_all(bool keep_picture = true);
    // Holds a presentation whose release the loop must poll for (an EGL
    // fence). Pass-through holds are not: a wl_buffer.release (an X11
    // ShmCompletion) arrives on the window's fd, which wakes the loop by itself.
    [[nodiscard]] bool holds_frames() const noexcept {
        return std::any_of(held_.begin(), held_.end(), [](const Held& h) { return !h.pass_through; });
    }
    // ms until a frame shown from guest memory must be copied out and its
    // buffer released (reap() does it), -1 when none is due: the loop's poll
    // bound. Headless: the frame held in place; Wayland window: the buffer
    // the compositor shows (copied into the viewer's own wl_shm buffer).
    [[nodiscard]] int copy_out_deadline_ms() const noexcept;
    // vdmabufd's --release-timeout from WELCOME (0: it did not say); bounds
    // how long a frame stays held in place.
    void set_daemon_release_timeout(uint32_t ms) noexcept { daemon_release_timeout_ms_ = ms; }
    // Writes the frame at its native size (plus the cursor if asked) as PNG.
    bool screenshot(const std::string& path, bool with_cursor, const PngOptions& png);

    // The HUD's text over the picture's top-left corner in a window (empty:
    // none); never in headless targets or screenshots (output_pane_hud.cpp).
    void set_hud(const std::string& text);

    // The guest's cursor for this output (CURSOR_IMAGE / CURSOR_MOVE).
    void set_cursor_image(CursorPixels image);
    void move_cursor(int32_t x, int32_t y, bool visible);
    [[nodiscard]] uint64_t cursor_moves() const noexcept { return cursor_moves_; }

    // Window pointer position (target pixels) to output pixels in 24.8 fixed
    // point, clamped to the picture; nullopt outside it (the letterbox bars).
    [[nodiscard]] std::optional<std::pair<uint32_t, uint32_t>> to_output(double x, double y) const;

private:
    struct Held {
        vdmabuf_id id;
        uint64_t sequence;
        bool zero_copy;
        bool superseded = false; // zero copy: a later frame was queued
        bool fenced = false;     // zero copy: a draw showing the successor was fenced
        EglFence fence;          // release once signalled
        uint64_t fence_draw = 0; // zero copy: the draw (ViewerStats::draws) the fence follows
        uint64_t swap = 0;       // zero copy + wp_presentation: ...and this swap was shown
        uint64_t fenced_ns = 0;
        bool pass_through = false; // shown by the window system from guest memory...
        uint64_t wl_serial = 0;    // ...with this attach (put): released once it is done with it
    };

    OutputPane(uint32_t output, std::unique_ptr<Presenter> presenter, ViewerStats& stats,
               ReleaseFn release, ImportChoice import);
    // Whether b may take the zero-copy path: a dma-buf, not failed before,
    // and the import trusted (decided, and probed, when the first pane was made).
    [[nodiscard]] bool zero_copy_allowed(const BufferState& b);
    // The buffer's cached EGLImage texture becomes the shown frame; false
    // (logged once, b.dmabuf_failed set) when the import fails.
    bool show_zero_copy(BufferState& b);
    // Windows: zero copy where allowed, else the copy into GL.
    bool show(BufferState& b, const consumer::PresentEvent& p, bool* zero_copy);
    bool show_copy(BufferState& b, const consumer::PresentEvent& p);
    // Headless: holds the buffer itself as the shown frame, reading nothing,
    // and releases the frame held before; false when this frame cannot take
    // that path (a window shows frames, the format is not XRGB/ARGB, or the
    // buffer cannot be mapped). See held_in_place_.
    bool hold_in_place(BufferState& b, const consumer::PresentEvent& p);
    // Copies the whole frame held in place into cpu_ (counted as a copy on
    // demand), which then is the shown frame, and lets the buffer go: with
    // `release` a RELEASE; without, the daemon already counts it released
    // (BUFFER_GONE, vdmabufd gone). `why` is logged at debug.
    void copy_out_held(const char* why, bool release);
    // The frame held in place is superseded: RELEASE, nothing read.
    void release_held_in_place();
    void count_copied(int64_t bytes, const char* path);
    // The shown zero-copy texture is about to die with its import: headless
    // keeps the picture in host memory (read back from the FBO), as the copy
    // path would have it; a window shows black until the next frame.
    void drop_zero_copy_frame();
    void enforce_hold_limit();
    // A fence behind every draw issued so far (zero copy: the hold was never
    // fenced by a successor's draw).
    void fence_now(Held& h);
    // The one place a held presentation goes back to the guest. Zero copy:
    // checks (and logs at debug, counts in ViewerStats) that its fence has
    // signalled.
    void release_held(Held& h);
    void log_once(const std::string& message);

    // Windows, pass-through (output_pane_pass_through.cpp): the window
    // system shows the guest's pages itself (wl_shm, MIT-SHM over guest
    // memory), *serial naming the attach; where it cannot (Wayland), a copy
    // of the damage in the viewer's own wl_shm buffers (*copied: the guest
    // buffer may go back now). False (the reasons logged once) when neither
    // can: the GL path.
    bool show_pass_through(BufferState& b, const consumer::PresentEvent& p, uint64_t* serial,
                           bool* copied);
    // The pane's state once the window system shows this buffer's frame.
    void shown_by_compositor(const consumer::BufferInfo& info);
    // The frame the compositor shows from guest memory goes into the viewer's
    // own wl_shm buffer (a still screen, or its buffer going away), so the
    // guest's buffer can go back; false where it cannot (logged at debug).
    bool copy_out_pass_through(const char* why);
    // Zero copy on a still screen: the shown frame into memory of the
    // viewer's own (headless: the FBO read back; windows: the buffer copied
    // through the copy path once), so the dma-buf can go back after its fence.
    void copy_out_zero_copy(const char* why);
    // The dma-buf frame drawn from its EGLImage now, if any.
    [[nodiscard]] BufferState* shown_zero_copy() const;
    // render() while the window system shows the frame: only the bars (and
    // where the frame goes) when they change; X11: the frame again after an
    // Expose, or the GL path when the window became smaller than the frame.
    void render_pass_through();
    // GL takes over (a buffer pass-through cannot show, disconnect, exit).
    void leave_pass_through();
    // The picture for a screenshot of a pass-through frame (uploaded then).
    [[nodiscard]] GLuint pass_through_texture();
    void draw_cursor(uint32_t target_w, uint32_t target_h, bool flip_y);
    void upload_cursor();
    // GL path: the HUD blended over the frame drawn (window pixels, unscaled).
    void draw_hud(uint32_t target_w, uint32_t target_h, bool flip_y);
    void upload_hud(uint32_t width);

    uint32_t output_;
    std::unique_ptr<Presenter> presenter_;
    ViewerStats& stats_;
    ReleaseFn release_;
    ImportChoice import_;
    std::unique_ptr<Renderer> renderer_;
    std::unique_ptr<CopyImporter> copy_;
    std::unique_ptr<DmabufImporter> dmabuf_;
    std::deque<Held> held_;
    std::vector<std::string> logged_;

    // Headless without zero copy: the newest frame is its buffer, held (the
    // guest compositor does not write a buffer from EXPORT until RELEASE, so
    // reading it later is reading this frame, whole). Nothing is read per
    // frame; the pixels are copied into cpu_ only for a screenshot, before
    // the mapping goes (BUFFER_GONE, vdmabufd gone), and before vdmabufd's
    // release timeout could take the hold (held_in_place_limit_ns()).
    struct HeldInPlace {
        vdmabuf_id id;
        uint64_t sequence;
        BufferState* buffer; // the Viewer's; lives until BUFFER_GONE or disconnect
        uint64_t since_ns;
    };
    std::optional<HeldInPlace> held_in_place_;
    uint32_t daemon_release_timeout_ms_ = 0;
    [[nodiscard]] uint64_t held_in_place_limit_ns() const noexcept;

    CpuFrame cpu_;
    bool shown_in_memory_ = false; // headless: the frame is cpu_'s, not a texture
    GLuint shown_texture_ = 0;
    uint32_t shown_width_ = 0, shown_height_ = 0;
    bool shown_opaque_ = true;
    bool dirty_ = true;
    bool waiting_ = true;
    uint64_t frames_ = 0;

    bool pass_through_shown_ = false; // the window system shows guest memory
    BufferState* pass_through_buffer_ = nullptr; // ...of this buffer (nullptr: a copy of the viewer's)
    uint64_t pass_through_since_ns_ = 0;         // ...shown since
    BufferState* zero_copy_buffer_ = nullptr; // the zero-copy frame's buffer (shown_zero_copy())
    uint64_t zero_copy_since_ns_ = 0;         // ...shown since
    bool bars_stale_ = true;
    uint32_t bars_width_ = 0, bars_height_ = 0;
    int bars_x_ = -1, bars_y_ = -1, bars_w_ = -1, bars_h_ = -1;

    CursorPixels cursor_;
    int32_t cursor_x_ = 0, cursor_y_ = 0;
    bool cursor_visible_ = false;
    bool cursor_on_host_ = false; // the window system shows it: never drawn here
    bool cursor_stale_ = false;   // cursor_texture_ needs the new image
    GlTexture cursor_texture_;
    uint64_t cursor_moves_ = 0;

    std::string hud_text_;
    bool hud_stale_ = false;     // hud_texture_ needs the new text
    GlTexture hud_texture_;
    uint32_t hud_width_ = 0;     // the picture width it was wrapped to
    uint32_t hud_w_ = 0, hud_h_ = 0;
};

} // namespace vdmabuf::viewer
