// X11: an Xlib window with an EGL window surface (EGL_PLATFORM_X11_KHR).
// The frame is letterboxed into whatever size the window has. Keys and
// pointer are forwarded (evdev keycode = X keycode - 8; buttons 4-7 are
// wheel steps); Ctrl+Alt+G grabs/releases the keyboard, Ctrl+Alt+F toggles
// fullscreen (_NET_WM_STATE), Ctrl+Alt+S writes a screenshot, Ctrl+Alt+H
// toggles the HUD, none of them forwarded. The guest's cursor becomes the
// window's (an XRender ARGB cursor). Guest-memory frames are shown by the X
// server itself where it can (MIT-SHM, x11_shm_view.hpp); GL does not swap
// over them.
#define VDM_LOG_SCOPE "x11"
#include "present/presenter.hpp"

#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/log.hpp>

#ifdef VDMABUF_VIEWER_X11
#include "present/x11_host.hpp"
#include "present/x11_shm_view.hpp"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/XKBlib.h>
#include <X11/keysym.h>
#endif

#include <vdmabuf_wire.h>

#include <linux/input-event-codes.h>

#include <cstdlib>
#include <cstring>
#include <set>

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
        shm_.reset(); // its GC and segments are on the window and connection
        ctx_.reset();
        if (surface_ != EGL_NO_SURFACE)
            eglDestroySurface(display_->get(), surface_);
        display_.reset();
        if (cursor_)
            XFreeCursor(xdpy_.get(), cursor_);
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
        attrs.event_mask = StructureNotifyMask | ExposureMask | KeyPressMask | KeyReleaseMask |
                           ButtonPressMask | ButtonReleaseMask | PointerMotionMask |
                           EnterWindowMask | LeaveWindowMask | FocusChangeMask;
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
        // Held keys repeat in the guest, not here: no synthetic release/press pairs.
        XkbSetDetectableAutoRepeat(d, True, nullptr);
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
        if (o.pass_through)
            make_shm_view();
        else
            VDM_INFO("MIT-SHM pass-through off (--no-pass-through): every frame is drawn with GL");
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
        asked_width_ = w;
        asked_height_ = h;
        resize_pending_ = true;
        resize_serial_ = NextRequest(xdpy_.get());
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
        if (shm_ && shm_->visible())
            return true; // the X server shows a guest frame: a swap would cover it
        if (!eglSwapBuffers(display_->get(), surface_)) {
            VDM_ERROR("eglSwapBuffers failed: %s", egl_error_name(eglGetError()));
            return false;
        }
        return true;
    }
    int fd() const override { return ConnectionNumber(xdpy_.get()); }
    // Xlib may have read events (a put's completion) into its queue during a
    // round trip of ours or EGL's: poll would not see them.
    void prepare_poll() override { queued_ = XEventsQueued(xdpy_.get(), QueuedAfterReading) > 0; }
    bool events_queued() const override { return queued_; }
    PassThrough* pass_through() override { return shm_.get(); }
    // Drains whatever is queued even when poll saw nothing: EGL may have read it.
    void dispatch(bool) override {
        Display* d = xdpy_.get();
        while (XPending(d)) {
            XEvent ev;
            XNextEvent(d, &ev);
            switch (ev.type) {
            case Expose:
                redraw_ = true;
                if (shm_)
                    shm_->exposed();
                break;
            case ConfigureNotify:
                // Sent after our resize ran (or a window manager decided).
                if (ev.xconfigure.serial >= resize_serial_)
                    resize_pending_ = false;
                configured(ev.xconfigure.width, ev.xconfigure.height);
                break;
            case ClientMessage:
                if (Atom(ev.xclient.data.l[0]) == wm_delete_)
                    closed_ = true;
                break;
            case KeyPress:
            case KeyRelease: key(ev.xkey, ev.type == KeyPress); break;
            case ButtonPress:
            case ButtonRelease: button(ev.xbutton, ev.type == ButtonPress); break;
            case MotionNotify:
                pointer(VDMABUF_INPUT_MOTION, ev.xmotion.x, ev.xmotion.y);
                break;
            case EnterNotify:
                if (ev.xcrossing.mode == NotifyNormal)
                    pointer(VDMABUF_INPUT_ENTER, ev.xcrossing.x, ev.xcrossing.y);
                break;
            case LeaveNotify:
                if (ev.xcrossing.mode == NotifyNormal)
                    leave();
                break;
            case FocusOut:
                if (ev.xfocus.mode == NotifyNormal || ev.xfocus.mode == NotifyWhileGrabbed)
                    leave();
                break;
            default:
                if (shm_ && ev.type == shm_->completion_type())
                    shm_->completed(ev);
                break;
            }
        }
        queued_ = false;
    }
    bool closed() const override { return closed_; }
    bool take_screenshot_key() override { return std::exchange(screenshot_key_, false); }
    bool take_hud_key() override { return std::exchange(hud_key_, false); }
    bool take_redraw() override { return std::exchange(redraw_, false); }
    bool take_resized() override { return std::exchange(resized_, false); }
    std::pair<uint32_t, uint32_t> target_size() const override { return {width_, height_}; }
    std::optional<std::string> host_keymap() const override;
    bool set_cursor(const CursorPixels* image) override;

private:
    void make_shm_view() {
        std::string why;
        shm_ = X11ShmView::create({xdpy_.get(), window_, [this] { return shown_size(); }}, &why);
        if (!shm_)
            VDM_INFO("no MIT-SHM pass-through: %s; every frame is drawn with GL", why.c_str());
    }
    // The window's size once the server has run the resize we sent (no
    // ConfigureNotify since: it may still be in flight; a window manager
    // that sizes the window otherwise says so with one).
    std::pair<uint32_t, uint32_t> shown_size() const {
        return resize_pending_ ? std::pair(asked_width_, asked_height_) : std::pair(width_, height_);
    }
    void configured(int w, int h) {
        redraw_ = true;
        if (uint32_t(w) == width_ && uint32_t(h) == height_)
            return;
        width_ = uint32_t(w);
        height_ = uint32_t(h);
        // Our own sizing to the first frame is not the user's resize.
        if (width_ == asked_width_ && height_ == asked_height_)
            asked_width_ = asked_height_ = 0;
        else if (sized_)
            resized_ = true;
    }
    void pointer(uint32_t kind, int x, int y) {
        push_input({kind, 0, 0, 0, 0, double(x) + 0.5, double(y) + 0.5});
        push_input({VDMABUF_INPUT_FRAME});
    }
    void leave() {
        pressed_.clear();
        push_input({VDMABUF_INPUT_LEAVE});
    }
    void key(XKeyEvent& ev, bool pressed) {
        const uint32_t code = ev.keycode - 8; // X keycodes are evdev codes + 8
        constexpr unsigned kCtrlAlt = ControlMask | Mod1Mask;
        if (pressed && (ev.state & kCtrlAlt) == kCtrlAlt) {
            bool ours = true;
            switch (XLookupKeysym(&ev, 0)) {
            case XK_g: toggle_grab(); break;
            case XK_f: toggle_fullscreen(); break;
            case XK_s: screenshot_key_ = true; break;
            case XK_h: hud_key_ = true; break;
            default: ours = false; break;
            }
            if (ours) {
                shortcut_keys_.insert(code); // its release is not forwarded either
                return;
            }
        }
        if (!pressed && shortcut_keys_.erase(code))
            return;
        if (pressed && !pressed_.insert(code).second)
            return; // auto-repeat: the guest repeats on its own
        if (!pressed && !pressed_.erase(code))
            return; // pressed before the window had focus
        push_input({VDMABUF_INPUT_KEY, code, pressed ? 1u : 0u});
    }
    void button(const XButtonEvent& ev, bool pressed) {
        if (ev.button >= 4 && ev.button <= 7) {
            // Wheel steps: 4 up, 5 down, 6 left, 7 right; one per press.
            if (!pressed)
                return;
            uint32_t axis = ev.button >= 6 ? 1 : 0;
            int32_t steps = ev.button == 4 || ev.button == 6 ? -1 : 1;
            push_input({VDMABUF_INPUT_AXIS, axis, 0, uint32_t(steps * 15 * 256), uint32_t(steps)});
            push_input({VDMABUF_INPUT_FRAME});
            return;
        }
        static constexpr uint32_t kButtons[] = {0, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, 0, 0, 0, 0,
                                                BTN_SIDE, BTN_EXTRA};
        uint32_t code = ev.button < std::size(kButtons) ? kButtons[ev.button] : 0;
        if (!code)
            return;
        // The position first: a click must land where the pointer is.
        push_input({VDMABUF_INPUT_MOTION, 0, 0, 0, 0, double(ev.x) + 0.5, double(ev.y) + 0.5});
        push_input({VDMABUF_INPUT_BUTTON, code, pressed ? 1u : 0u});
        push_input({VDMABUF_INPUT_FRAME});
    }
    void toggle_grab() {
        Display* d = xdpy_.get();
        if (grabbed_) {
            XUngrabKeyboard(d, CurrentTime);
            grabbed_ = false;
            VDM_INFO("keyboard released (Ctrl+Alt+G grabs it again)");
        } else {
            grabbed_ = XGrabKeyboard(d, window_, True, GrabModeAsync, GrabModeAsync, CurrentTime) ==
                       GrabSuccess;
            VDM_INFO("keyboard %s (Ctrl+Alt+G releases it)", grabbed_ ? "grabbed" : "grab refused");
        }
        XFlush(d);
    }
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
    std::unique_ptr<X11ShmView> shm_;
    Window window_ = 0;
    EGLSurface surface_ = EGL_NO_SURFACE;
    Atom wm_delete_ = 0;
    Cursor cursor_ = 0;
    uint32_t width_ = 640, height_ = 480;
    uint32_t asked_width_ = 0, asked_height_ = 0; // our XResizeWindow, not yet configured
    bool sized_ = false, closed_ = false, screenshot_key_ = false, hud_key_ = false;
    bool redraw_ = false, resized_ = false, grabbed_ = false;
    bool resize_pending_ = false, queued_ = false;
    unsigned long resize_serial_ = 0; // the request number of that XResizeWindow
    std::set<uint32_t> pressed_, shortcut_keys_;
};

std::optional<std::string> X11Presenter::host_keymap() const {
    return x11_host_keymap(xdpy_.get());
}

bool X11Presenter::set_cursor(const CursorPixels* image) {
    Display* d = xdpy_.get();
    const Cursor cursor = x11_argb_cursor(d, window_, image);
    if (!cursor)
        return false;
    XDefineCursor(d, window_, cursor);
    if (cursor_)
        XFreeCursor(d, cursor_);
    cursor_ = cursor;
    XFlush(d);
    return true;
}

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
    *why = "built without X11 (libx11-dev, libx11-xcb-dev, libxcb-shm0-dev)";
    return nullptr;
#endif
}

} // namespace vdmabuf::viewer
