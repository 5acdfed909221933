// Wayland: an xdg_toplevel (WaylandWindow) with an EGL window surface on
// EGL_PLATFORM_WAYLAND_KHR. Like X11 the frame is letterboxed into the
// window; swaps never wait for the compositor (swap interval 0) and each
// swap asks wp_presentation when it was shown, which the viewer uses to
// release zero-copy buffers.
#define VDM_LOG_SCOPE "wayland"
#include "present/presenter.hpp"

#include <vdmabuf/shared/log.hpp>

#ifdef VDMABUF_VIEWER_WAYLAND
#include "present/wayland_window.hpp"
#endif

#include <cstdlib>

namespace vdmabuf::viewer {

#ifdef VDMABUF_VIEWER_WAYLAND
namespace {

// An 8-bit-per-channel window config. EGL sorts deeper configs first, and
// llvmpipe's first is XRGB2101010, which weston's pixman renderer shows as
// white; the guest's frames are 8-bit anyway. Prefers no alpha (opaque).
EGLConfig choose_rgb888_config(const EglDisplay& display) {
    const EGLint attribs[] = {
        EGL_SURFACE_TYPE, EGL_WINDOW_BIT, EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
        EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT, EGL_NONE,
    };
    EGLConfig configs[64];
    EGLint n = 0;
    if (!eglChooseConfig(display.get(), attribs, configs, 64, &n) || n < 1) {
        VDM_ERROR("eglChooseConfig found no window config: %s", egl_error_name(eglGetError()));
        return nullptr;
    }
    EGLConfig best = nullptr;
    for (EGLint i = 0; i < n; ++i) {
        EGLint r = 0, g = 0, b = 0, a = 0;
        eglGetConfigAttrib(display.get(), configs[i], EGL_RED_SIZE, &r);
        eglGetConfigAttrib(display.get(), configs[i], EGL_GREEN_SIZE, &g);
        eglGetConfigAttrib(display.get(), configs[i], EGL_BLUE_SIZE, &b);
        eglGetConfigAttrib(display.get(), configs[i], EGL_ALPHA_SIZE, &a);
        if (r != 8 || g != 8 || b != 8)
            continue;
        if (a == 0)
            return configs[i];
        if (!best)
            best = configs[i];
    }
    return best ? best : configs[0];
}

class WaylandPresenter final : public Presenter {
public:
    WaylandPresenter(std::unique_ptr<WaylandWindow> window, std::unique_ptr<EglDisplay> display)
        : window_(std::move(window)), display_(std::move(display)) {}
    ~WaylandPresenter() override {
        ctx_.reset();
        if (surface_ != EGL_NO_SURFACE)
            eglDestroySurface(display_->get(), surface_);
        display_.reset(); // before the wl_egl_window and the connection (window_)
    }

    bool init(const PresenterOptions& o) {
        EGLConfig config = choose_rgb888_config(*display_);
        if (!config || !window_->create_toplevel(o.title, o.fullscreen, o.pass_through))
            return false;
        // Core eglCreateWindowSurface wants an EGLNativeWindowType, which
        // depends on how eglplatform.h was configured; the EXT entry takes void*.
        auto create = reinterpret_cast<PFNEGLCREATEPLATFORMWINDOWSURFACEEXTPROC>(
            eglGetProcAddress("eglCreatePlatformWindowSurfaceEXT"));
        if (!create) {
            VDM_ERROR("eglCreatePlatformWindowSurfaceEXT is missing");
            return false;
        }
        surface_ = create(display_->get(), config, window_->egl_window(), nullptr);
        if (surface_ == EGL_NO_SURFACE) {
            VDM_ERROR("eglCreatePlatformWindowSurfaceEXT failed: %s", egl_error_name(eglGetError()));
            return false;
        }
        ctx_ = EglContext::create(*display_, config);
        if (!ctx_ || !ctx_->make_current(surface_))
            return false;
        // Never block on frame callbacks: the guest must not wait for our window,
        // and a hidden window must keep consuming (and releasing) frames.
        eglSwapInterval(display_->get(), 0);
        return true;
    }

    const char* name() const override { return "wayland"; }
    const EglContext& context() const override { return *ctx_; }
    void set_content_size(uint32_t w, uint32_t h) override { window_->set_content_size(w, h); }
    void set_title(const std::string& title) override { window_->set_title(title); }
    TargetSize begin_frame() override {
        if (!ctx_->make_current(surface_))
            return {};
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        // Our size, not eglQuerySurface: a resize applies at the next buffer.
        return {window_->buffer_width(), window_->buffer_height(), true};
    }
    bool end_frame() override {
        window_->before_swap();
        if (!eglSwapBuffers(display_->get(), surface_)) {
            VDM_ERROR("eglSwapBuffers failed: %s", egl_error_name(eglGetError()));
            return false;
        }
        return true;
    }
    int fd() const override { return wl_display_get_fd(window_->display()); }
    void prepare_poll() override { window_->prepare_read(); }
    void dispatch(bool readable) override {
        window_->dispatch(readable);
        if (window_->keyboard().take_fullscreen())
            window_->toggle_fullscreen();
        if (window_->keyboard().take_grab())
            VDM_INFO("Ctrl+Alt+G: Wayland windows get every key while focused; no grab to toggle");
        for (const WindowInput& in : window_->take_input())
            push_input(in);
    }
    bool take_resized() override { return window_->take_resized(); }
    std::pair<uint32_t, uint32_t> target_size() const override {
        return {window_->buffer_width(), window_->buffer_height()};
    }
    bool set_cursor(const CursorPixels* image) override {
        return window_->pointer().set_cursor(image);
    }
    bool closed() const override { return window_->closed(); }
    bool take_screenshot_key() override { return window_->keyboard().take_screenshot(); }
    bool take_hud_key() override { return window_->keyboard().take_hud(); }
    bool take_redraw() override { return window_->take_redraw(); }
    bool has_presentation_feedback() const override { return window_->has_presentation(); }
    uint64_t swap_count() const override { return window_->swaps(); }
    uint64_t presented_count() const override { return window_->completed(); }
    PassThrough* pass_through() override { return window_->shm_view(); }

private:
    std::unique_ptr<WaylandWindow> window_;
    std::unique_ptr<EglDisplay> display_;
    std::unique_ptr<EglContext> ctx_;
    EGLSurface surface_ = EGL_NO_SURFACE;
};

} // namespace
#endif

std::unique_ptr<Presenter> create_wayland_presenter(const PresenterOptions& options,
                                                    std::string* why) {
#ifdef VDMABUF_VIEWER_WAYLAND
    const char* name = std::getenv("WAYLAND_DISPLAY");
    if ((!name || !*name) && !std::getenv("WAYLAND_SOCKET")) {
        *why = "WAYLAND_DISPLAY is not set";
        return nullptr;
    }
    auto window = WaylandWindow::connect(why);
    if (!window)
        return nullptr;
    auto display = EglDisplay::create(EGL_PLATFORM_WAYLAND_KHR, window->display());
    if (!display) {
        *why = "no EGL for this Wayland display";
        return nullptr;
    }
    auto p = std::make_unique<WaylandPresenter>(std::move(window), std::move(display));
    if (!p->init(options)) {
        *why = "cannot create an EGL window";
        return nullptr;
    }
    return p;
#else
    (void)options;
    *why = "built without Wayland (libwayland-dev, wayland-protocols, libxkbcommon-dev)";
    return nullptr;
#endif
}

} // namespace vdmabuf::viewer
