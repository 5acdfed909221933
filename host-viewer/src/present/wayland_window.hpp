// The Wayland side of the viewer's window: the connection and its globals,
// an xdg_toplevel (server-side decorations when offered), configure and
// HiDPI scale handling, the wl_egl_window sized to match, and wp_presentation
// feedback per swapped frame. EGL itself lives in the presenter.
#pragma once

#include "present/wayland_dmabuf.hpp"
#include "present/wayland_handles.hpp"
#include "present/wayland_keyboard.hpp"
#include "present/wayland_shm_view.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <utility>

namespace vdmabuf::viewer {

class WaylandWindow {
public:
    // Connects to $WAYLAND_DISPLAY and binds the globals; nullptr and *why
    // when there is no compositor or it lacks wl_compositor / xdg_wm_base.
    [[nodiscard]] static std::unique_ptr<WaylandWindow> connect(std::string* why);
    ~WaylandWindow();
    WaylandWindow(const WaylandWindow&) = delete;
    WaylandWindow& operator=(const WaylandWindow&) = delete;

    // Maps the toplevel and waits (bounded) for its first configure.
    // pass_through: also makes the content subsurface for wl_shm frames
    // (logged, and nullptr from shm_view(), where the compositor cannot).
    [[nodiscard]] bool create_toplevel(const std::string& title, bool fullscreen,
                                       bool pass_through);
    [[nodiscard]] WaylandShmView* shm_view() noexcept { return shm_view_.get(); }

    [[nodiscard]] wl_display* display() const noexcept { return display_.get(); }
    [[nodiscard]] wl_egl_window* egl_window() const noexcept { return egl_window_.get(); }
    [[nodiscard]] uint32_t buffer_width() const noexcept { return width_ * uint32_t(scale_); }
    [[nodiscard]] uint32_t buffer_height() const noexcept { return height_ * uint32_t(scale_); }

    void set_title(const std::string& title);
    // The guest frame's size: the window's size unless the compositor chose one.
    void set_content_size(uint32_t width, uint32_t height);
    void toggle_fullscreen();

    // Before swapping: asks wp_presentation about the frame; returns its number.
    uint64_t before_swap();
    [[nodiscard]] bool has_presentation() const noexcept { return presentation_ != nullptr; }
    // The highest frame number the compositor reported presented or discarded.
    [[nodiscard]] uint64_t completed() const noexcept { return completed_; }
    [[nodiscard]] uint64_t swaps() const noexcept { return swaps_; }

    // The poll protocol: prepare_read() right before poll(), dispatch() right
    // after, so events EGL reads on our behalf are never left undispatched.
    void prepare_read();
    void dispatch(bool readable);
    [[nodiscard]] bool closed() const noexcept { return closed_; }
    bool take_redraw() { return std::exchange(redraw_, false); }
    [[nodiscard]] WaylandKeyboard& keyboard() noexcept { return keyboard_; }
    [[nodiscard]] WaylandPointer& pointer() noexcept { return pointer_; }
    // Keyboard and pointer events since the last call, in order.
    std::vector<WindowInput> take_input() { return std::exchange(input_, {}); }
    // The user (or the compositor) resized the window since the last call.
    bool take_resized() { return std::exchange(resized_, false); }

private:
    struct Output {
        wl::Output proxy;
        uint32_t name = 0;
        int32_t scale = 1;
    };
    struct PendingFeedback {
        WaylandWindow* window;
        uint64_t frame;
        wl::Feedback proxy;
    };

    WaylandWindow() = default;
    void apply_size();
    void update_scale();
    void feedback_done(PendingFeedback* f);
    bool check_connection();

    static void on_global(void* data, wl_registry* r, uint32_t name, const char* iface, uint32_t v);
    static void on_global_remove(void* data, wl_registry*, uint32_t name);
    static void on_ping(void*, xdg_wm_base* wm, uint32_t serial);
    static void on_surface_configure(void* data, xdg_surface* s, uint32_t serial);
    static void on_toplevel_configure(void* data, xdg_toplevel*, int32_t w, int32_t h,
                                      wl_array* states);
    static void on_close(void* data, xdg_toplevel*);
    static void on_enter(void* data, wl_surface*, wl_output* output);
    static void on_leave(void* data, wl_surface*, wl_output* output);
    static void on_output_scale(void* data, wl_output*, int32_t factor);
    static void on_presented(void* data, struct wp_presentation_feedback*, uint32_t, uint32_t, uint32_t,
                             uint32_t, uint32_t, uint32_t, uint32_t);
    static void on_discarded(void* data, struct wp_presentation_feedback*);

    // Declaration order is teardown order reversed: everything else goes
    // before the connection, the EGL window before its surface.
    wl::Display display_;
    wl::Registry registry_;
    wl::Compositor compositor_;
    wl::WmBase wm_base_;
    wl::DecorationManager decoration_manager_;
    wl::Presentation presentation_;
    wl::Shm shm_;
    wl::Subcompositor subcompositor_;
    wl::Viewporter viewporter_;
    WaylandDmabuf dmabuf_; // zwp_linux_dmabuf_v1, where offered
    std::set<uint32_t> shm_formats_;
    uint32_t compositor_version_ = 0;
    std::list<Output> outputs_;
    std::vector<WindowInput> input_;
    int32_t scale_ = 1;
    WaylandPointer pointer_{&input_, &scale_};
    WaylandKeyboard keyboard_{&input_, &pointer_};
    wl::Surface surface_;
    wl::XdgSurface xdg_surface_;
    wl::Toplevel toplevel_;
    wl::Decoration decoration_;
    wl::EglWindow egl_window_;
    std::unique_ptr<WaylandShmView> shm_view_; // a child of surface_: goes first
    std::list<PendingFeedback> feedback_;

    std::set<wl_output*> entered_;
    uint32_t width_ = 640, height_ = 480;          // surface-local (logical) size
    uint32_t content_width_ = 0, content_height_ = 0;
    int32_t pending_width_ = 0, pending_height_ = 0;
    bool pending_fullscreen_ = false, fullscreen_ = false;
    bool compositor_sized_ = false; // the last configure chose our size
    bool configured_ = false, closed_ = false, redraw_ = false, reading_ = false;
    bool resized_ = false;
    uint64_t swaps_ = 0, completed_ = 0;
};

} // namespace vdmabuf::viewer
