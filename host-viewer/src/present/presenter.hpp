// Where frames are shown: a Wayland window, an X11 window or an offscreen FBO.
// Each implementation owns its EGL display, context and surface. create()
// tries them in preference order (Wayland, X11, headless) and logs what it
// picked and why the others were skipped.
#pragma once

#include "egl/context.hpp"

#include <vdmabuf/consumer/events.hpp>
#include <vdmabuf/consumer/import.hpp>
#include <vdmabuf/shared/png.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vdmabuf::viewer {

struct PresenterOptions {
    std::string title = "vdmabuf-viewer";
    bool fullscreen = false;
    bool pass_through = true; // wl_shm (Wayland), MIT-SHM (X11) over guest memory where possible
};

struct TargetSize {
    uint32_t width = 0, height = 0;
    bool flip_y = false; // window framebuffers are y-up
};

// One input event from the window, as the wire's INPUT event
// (enum vdmabuf_input_kind, a..d as there) except that MOTION and ENTER carry
// the pointer in target pixels (x, y: TargetSize's space, row 0 at the top);
// the viewer maps them onto the guest output.
struct WindowInput {
    uint32_t kind = 0;
    uint32_t a = 0, b = 0, c = 0, d = 0;
    double x = 0, y = 0;
};

// The guest's cursor: premultiplied ARGB8888 (bytes B, G, R, A), rows packed.
struct CursorPixels {
    uint32_t width = 0, height = 0, hotspot_x = 0, hotspot_y = 0;
    std::vector<uint8_t> argb;
};

// A frame in host memory, one packed-row plane (a screenshot reads it).
struct ShownPixels {
    const uint8_t* pixels = nullptr;
    uint32_t width = 0, height = 0, stride = 0, fourcc = 0;
};

// Pass-through: the window system reads the guest's pages itself (Wayland:
// the guest's dma-buf through zwp_linux_dmabuf_v1, or a wl_shm pool over the
// guest-memory fd, one content surface above the
// presenter's own, which shows the bars; X11: MIT-SHM puts into the window),
// so the viewer copies and draws nothing. Where it cannot, the Wayland view
// has the window system read a copy in the viewer's memory (only the damage
// copied) rather than the viewer drawing with GL.
class PassThrough {
public:
    virtual ~PassThrough() = default;
    // Attaches the buffer and commits its damage (buffer pixels; empty: all).
    // Empty string: shown, *serial names this attach for released(). Else
    // why this buffer cannot be shown this way (nothing was changed).
    [[nodiscard]] virtual std::string show(const consumer::BufferInfo& info,
                                           const consumer::Import& import,
                                           std::span<const vdmabuf_rect> damage,
                                           uint64_t* serial) = 0;
    // The middle fallback, where show() could not: the frame copied into
    // buffers of the viewer's own memory (only what differs from what the
    // buffer held) and committed with `damage`. Empty string: shown, *bytes
    // copied, and the guest buffer is not read again (it may go back now).
    // Else why not (nothing was changed). Only where has_copy_path().
    [[nodiscard]] virtual bool has_copy_path() const { return false; }
    [[nodiscard]] virtual std::string show_copy(const consumer::BufferInfo& /*info*/,
                                                consumer::Import& /*import*/,
                                                std::span<const vdmabuf_rect> /*damage*/,
                                                int64_t* /*bytes*/) {
        return "this window system has no copy path";
    }
    // A still screen (or the shown buffer going away): the frame the window
    // system shows from guest memory is kept somewhere of the viewer's or the
    // window system's own, so that its guest buffer can go back (released()
    // turns true once that is done). Empty string: done, *bytes copied by
    // the viewer. Else why not. Only where can_copy_out().
    [[nodiscard]] virtual bool can_copy_out() const { return false; }
    [[nodiscard]] virtual std::string copy_out_shown(const consumer::BufferInfo& /*info*/,
                                                     consumer::Import& /*import*/,
                                                     int64_t* /*bytes*/) {
        return "this window system cannot keep a frame of its own";
    }
    // The shown copy's pixels; nullopt while a guest buffer (or nothing) is shown.
    [[nodiscard]] virtual std::optional<ShownPixels> shown_copy() const { return std::nullopt; }
    // Whether the window system is done with the attach `serial` of id (its
    // wl_buffer.release came, or the buffer was forgotten).
    [[nodiscard]] virtual bool released(const vdmabuf_id& id, uint64_t serial) const = 0;
    // Where the picture goes in the presenter's target (buffer pixels, the
    // letterbox rectangle); applied with the next end_frame() of the
    // presenter (the parent surface's commit). one_to_one() views place the
    // frame themselves and return false when it no longer fits the target.
    virtual bool place(int x, int y, int w, int h) = 0;
    // Takes the picture off the window (the presenter's own surface shows
    // again); the releases come later, as events.
    virtual void hide() = 0;
    // Blocks (a few round trips at most) until the window system released
    // what it held; for leaving.
    virtual void wait_released() = 0;
    [[nodiscard]] virtual bool visible() const = 0;
    // BUFFER_GONE: its wl_buffer goes. disconnected: every buffer goes.
    virtual void forget(const vdmabuf_id& id) = 0;
    virtual void forget_all() = 0;
    // The HUD: text over the picture's top-left corner, shown by the window
    // system on its own (Wayland: a small subsurface; X11: core text after
    // the puts that touch it), redrawn only when the text changes, never a
    // copy or GL draw per frame. Empty: none. False where this view cannot.
    virtual bool set_hud(const std::string& /*text*/) { return false; }
    // For logs and --stats-json's import_path: "linux-dmabuf", "wl_shm", "x11_shm".
    [[nodiscard]] virtual const char* name() const = 0;
    // The "import path: ..." log line.
    [[nodiscard]] virtual const char* summary() const = 0;
    // The window system cannot scale the frame (X11): it is shown 1:1,
    // centred, the view painting the bars; a smaller target takes the GL path.
    [[nodiscard]] virtual bool one_to_one() const { return false; }
    // The window system could take dma-bufs itself (Wayland: the compositor
    // offers zwp_linux_dmabuf_v1); it does only once allow_dmabuf(true).
    [[nodiscard]] virtual bool offers_dmabuf() const { return false; }
    virtual void allow_dmabuf(bool /*allowed*/, const std::string& /*why*/) {}
    // The window system maps the guest-memory fds read-write (wl_shm pools):
    // imports ask vdmabufd for writable fds.
    [[nodiscard]] virtual bool needs_writable_fds() const { return false; }
};

class Presenter {
public:
    virtual ~Presenter() = default;
    [[nodiscard]] virtual const char* name() const = 0;
    [[nodiscard]] virtual const EglContext& context() const = 0;
    // The guest frame's size: headless resizes its FBO, windows their initial size.
    virtual void set_content_size(uint32_t width, uint32_t height) = 0;
    virtual void set_title(const std::string&) {}
    // Makes the context current and binds the target.
    [[nodiscard]] virtual TargetSize begin_frame() = 0;
    // Swaps (windows) or flushes (headless).
    virtual bool end_frame() = 0;
    // Byte-exact native-size readback where the target is the guest frame at
    // 1:1 (headless); nullopt elsewhere (the viewer renders offscreen instead).
    [[nodiscard]] virtual std::optional<Image> read_native() { return std::nullopt; }
    // Window-system events, once per loop turn: prepare_poll(), poll fd() for
    // POLLIN, then dispatch(readable) whatever poll said (Wayland must either
    // read or cancel the read it prepared). fd -1: none.
    [[nodiscard]] virtual int fd() const { return -1; }
    virtual void prepare_poll() {}
    virtual void dispatch(bool /*readable*/) {}
    // Events already read off fd() into a queue (Xlib's) after prepare_poll():
    // poll must not block.
    [[nodiscard]] virtual bool events_queued() const { return false; }
    // The user closed the window.
    [[nodiscard]] virtual bool closed() const { return false; }
    // Keys the viewer acts on, consumed by reading.
    virtual bool take_screenshot_key() { return false; }
    virtual bool take_hud_key() { return false; }
    // The window was exposed or resized: draw again.
    virtual bool take_redraw() { return false; }
    // Window input since the last call, in order.
    std::vector<WindowInput> take_input() { return std::exchange(input_, {}); }
    // The user resized the window (not our own sizing to the first frame).
    virtual bool take_resized() { return false; }
    // The window's drawable size in pixels (headless: the FBO's).
    [[nodiscard]] virtual std::pair<uint32_t, uint32_t> target_size() const { return {0, 0}; }
    [[nodiscard]] virtual bool is_window() const { return true; }
    // Hands the guest's cursor to the window system as this window's cursor
    // (nullptr: hide it). False when it cannot: the viewer draws it instead.
    virtual bool set_cursor(const CursorPixels*) { return false; }
    // The host's xkb layout as "LAYOUT[:VARIANT]" where the window system says.
    [[nodiscard]] virtual std::optional<std::string> host_keymap() const { return std::nullopt; }
    // Wayland wp_presentation: swaps are numbered 1, 2, ... and reported
    // presented (or discarded). Without it the viewer releases after an EGL
    // fence placed after the swap; with it, after that fence and the report.
    [[nodiscard]] virtual bool has_presentation_feedback() const { return false; }
    // The number of the last swap (feedback only).
    [[nodiscard]] virtual uint64_t swap_count() const { return 0; }
    // The highest swap number reported presented or discarded (feedback only).
    [[nodiscard]] virtual uint64_t presented_count() const { return 0; }
    // nullptr where the window system cannot show guest memory itself.
    [[nodiscard]] virtual PassThrough* pass_through() { return nullptr; }

protected:
    void push_input(const WindowInput& in) { input_.push_back(in); }

private:
    std::vector<WindowInput> input_;
};

// name: "auto", "wayland", "x11" or "headless". nullptr (logged) when the
// requested one (or, for auto, every one) cannot start.
[[nodiscard]] std::unique_ptr<Presenter> create_presenter(const std::string& name,
                                                          const PresenterOptions& options);

// Each returns nullptr and sets *why when it cannot run here.
[[nodiscard]] std::unique_ptr<Presenter> create_headless_presenter(std::string* why);
[[nodiscard]] std::unique_ptr<Presenter> create_x11_presenter(const PresenterOptions& options,
                                                              std::string* why);
[[nodiscard]] std::unique_ptr<Presenter> create_wayland_presenter(const PresenterOptions& options,
                                                                  std::string* why);

} // namespace vdmabuf::viewer
