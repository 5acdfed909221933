// X11: an Xlib window with an EGL window surface (EGL_PLATFORM_X11_KHR).
// The frame is letterboxed into whatever size the window has; F12 writes a
// screenshot, F11 toggles fullscreen (_NET_WM_STATE), H toggles the HUD.
#define VDM_LOG_SCOPE "x11"
#include "present/presenter.hpp"

#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/log.hpp>

#ifdef VDMABUF_VIEWER_X11
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#endif

#include <cstdlib>

namespace vdmabuf::viewer {

#ifdef VDMABUF_VIEWER_X11
namespace {

// Closes the connection after everything EGL made on it is gone (member order).
using XDisplay = CHandle<Display, &XCloseDisplay>;

class X11Presenter final : public Presenter {
public:
    X11Presenter(XDisplay xdpy, std::unique_ptr<EglDisplay> display) noexcept
        : xdpy_(std::move(xdpy)), display_(std::move(display)) {}
    ~X11Presenter() override {
        ctx_.reset();
        if (surface_ != EGL_NO_SURFACE)
            eglDestroySurface(display_->get(), surface_);
        display_.reset();
        if (window_)
            XDestroyWindow(xdpy_.get(), window_);
    }

    bool init(const PresenterOptions& o) {
        EGLConfig config = display_->choose_config(true);
        if (!config)
            return false;
        EGLint visual_id = 0;
        eglGetConfigAttrib(display_->get(), config, EGL_NATIVE_VISUAL_ID, &visual_id);
        XVisualInfo tmpl{};
        tmpl.visualid = VisualID(visual_id);
        int n = 0;
        XVisualInfo* vi = XGetVisualInfo(xdpy_.get(), VisualIDMask, &tmpl, &n);
        Display* d = xdpy_.get();
        Window root = DefaultRootWindow(d);
        XSetWindowAttributes attrs{};
        attrs.event_mask = StructureNotifyMask | KeyPressMask | ExposureMask;
        attrs.colormap = XCreateColormap(d, root, vi ? vi->visual : DefaultVisual(d, 0), AllocNone);
        attrs.background_pixel = BlackPixel(d, DefaultScreen(d));
        window_ = XCreateWindow(d, root, 0, 0, width_, height_, 0,
                                vi ? vi->depth : CopyFromParent, InputOutput,
                                vi ? vi->visual : CopyFromParent,
                                CWEventMask | CWColormap | CWBackPixel, &attrs);
        if (vi)
            XFree(vi);
        wm_delete_ = XInternAtom(d, "WM_DELETE_WINDOW", False);
        XSetWMProtocols(d, window_, &wm_delete_, 1);
        set_title(o.title);
        XMapWindow(d, window_);
        surface_ = eglCreateWindowSurface(display_->get(), config,
                                          static_cast<EGLNativeWindowType>(window_), nullptr);
        if (surface_ == EGL_NO_SURFACE) {
            VDM_ERROR("eglCreateWindowSurface failed: %s", egl_error_name(eglGetError()));
            return false;
        }
        ctx_ = EglContext::create(*display_, config);
        if (!ctx_ || !ctx_->make_current(surface_))
            return false;
        // Never block on vsync: the guest must not wait for our window.
        eglSwapInterval(display_->get(), 0);
        if (o.fullscreen)
            toggle_fullscreen();
        XFlush(d);
        return true;
    }

    const char* name() const override { return "x11"; }
    const EglContext& context() const override { return *ctx_; }
    void set_content_size(uint32_t w, uint32_t h) override {
        if (sized_)
            return;
        // The first frame sizes the window; later the user's size wins.
        sized_ = true;
        XResizeWindow(xdpy_.get(), window_, w, h);
        XFlush(xdpy_.get());
    }
    void set_title(const std::string& title) override {
        XStoreName(xdpy_.get(), window_, title.c_str());
        XFlush(xdpy_.get());
    }
    TargetSize begin_frame() override {
        if (!ctx_->make_current(surface_))
            return {};
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        EGLint w = 0, h = 0;
        eglQuerySurface(display_->get(), surface_, EGL_WIDTH, &w);
        eglQuerySurface(display_->get(), surface_, EGL_HEIGHT, &h);
        return {uint32_t(w), uint32_t(h), true};
    }
    bool end_frame() override {
        if (!eglSwapBuffers(display_->get(), surface_)) {
            VDM_ERROR("eglSwapBuffers failed: %s", egl_error_name(eglGetError()));
            return false;
        }
        return true;
    }
    int fd() const override { return ConnectionNumber(xdpy_.get()); }
    // Drains whatever is queued even when poll saw nothing: EGL may have read it.
    void dispatch(bool) override {
        Display* d = xdpy_.get();
        while (XPending(d)) {
            XEvent ev;
            XNextEvent(d, &ev);
            if (ev.type == Expose || ev.type == ConfigureNotify)
                redraw_ = true;
            else if (ev.type == ClientMessage && Atom(ev.xclient.data.l[0]) == wm_delete_)
                closed_ = true;
            else if (ev.type == KeyPress) {
                KeySym sym = XLookupKeysym(&ev.xkey, 0);
                if (sym == XK_F12)
                    screenshot_key_ = true;
                else if (sym == XK_F11)
                    toggle_fullscreen();
                else if (sym == XK_h)
                    hud_key_ = true;
            }
        }
    }
    bool closed() const override { return closed_; }
    bool take_screenshot_key() override { return std::exchange(screenshot_key_, false); }
    bool take_hud_key() override { return std::exchange(hud_key_, false); }
    bool take_redraw() override { return std::exchange(redraw_, false); }

private:
    void toggle_fullscreen() {
        Display* d = xdpy_.get();
        XEvent ev{};
        ev.xclient.type = ClientMessage;
        ev.xclient.window = window_;
        ev.xclient.message_type = XInternAtom(d, "_NET_WM_STATE", False);
        ev.xclient.format = 32;
        ev.xclient.data.l[0] = 2; // _NET_WM_STATE_TOGGLE
        ev.xclient.data.l[1] = long(XInternAtom(d, "_NET_WM_STATE_FULLSCREEN", False));
        XSendEvent(d, DefaultRootWindow(d), False,
                   SubstructureRedirectMask | SubstructureNotifyMask, &ev);
        XFlush(d);
    }

    XDisplay xdpy_;
    std::unique_ptr<EglDisplay> display_;
    std::unique_ptr<EglContext> ctx_;
    Window window_ = 0;
    EGLSurface surface_ = EGL_NO_SURFACE;
    Atom wm_delete_ = 0;
    uint32_t width_ = 640, height_ = 480;
    bool sized_ = false, closed_ = false, screenshot_key_ = false, hud_key_ = false;
    bool redraw_ = false;
};

} // namespace
#endif

std::unique_ptr<Presenter> create_x11_presenter(const PresenterOptions& options, std::string* why) {
#ifdef VDMABUF_VIEWER_X11
    const char* name = std::getenv("DISPLAY");
    if (!name || !*name) {
        *why = "DISPLAY is not set";
        return nullptr;
    }
    XDisplay xdpy(XOpenDisplay(name));
    if (!xdpy) {
        *why = std::string("XOpenDisplay(") + name + ") failed";
        return nullptr;
    }
    auto display = EglDisplay::create(EGL_PLATFORM_X11_KHR, xdpy.get());
    if (!display) {
        *why = "no EGL on this X server";
        return nullptr;
    }
    auto p = std::make_unique<X11Presenter>(std::move(xdpy), std::move(display));
    if (!p->init(options)) {
        *why = "cannot create an EGL window";
        return nullptr;
    }
    return p;
#else
    (void)options;
    *why = "built without X11 (libx11-dev)";
    return nullptr;
#endif
}

} // namespace vdmabuf::viewer
