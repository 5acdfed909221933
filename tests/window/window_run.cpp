#include "window_run.hpp"

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::window_test {
namespace {

[[noreturn]] void skip(const std::string& why) {
    std::printf("SKIP: %s\n", why.c_str());
    std::fflush(stdout);
    std::_Exit(77);
}

} // namespace

std::string WindowRun::start(const std::string& name, const RunOptions& opts) {
    if (access(viewer_test::kXvfbPath, X_OK) != 0)
        skip(std::string(viewer_test::kXvfbPath) + " is missing (package xvfb)");
#ifndef VDMABUF_WINDOW_XTEST
    skip("built without libxtst-dev: no way to inject X input");
#endif
    const std::string client_path = interactive::require_input_client();
    // Wider than the guest output, so the window can grow past it.
    if (!x_.start("1280x1024x24"))
        return "Xvfb did not start";
    input_.emplace(x_.dpy());
    if (!input_->available())
        skip("the X server has no XTEST extension");
    // The pointer in the screen's corner, off every window until a test
    // moves it (weston draws its cursor into the pixels read back).
    input_->move(DefaultRootWindow(x_.dpy()), 1270, 1014);
    presenter_ = opts.presenter;
    if (presenter_ == Presenter::wayland) {
        if (std::string e = start_weston(opts.kiosk, opts.weston_scale); !e.empty())
            return e;
    }

    compositor_test::CompositorOptions copts;
    copts.outputs = {std::to_string(kGuestWidth) + "x" + std::to_string(kGuestHeight)};
    copts.command = {"/bin/sleep", "120"};
    std::string error;
    scene_ = Scene::start(copts, error);
    if (!scene_)
        return "pipeline: " + error;
    std::vector<std::string> argv = {client_path, "--maximize", "--color", "3366cc"};
    argv.insert(argv.end(), opts.client_args.begin(), opts.client_args.end());
    client_ = LoggedClient::start(*scene_, name, argv);
    if (!client_)
        return "could not start the input client";
    // Maximized: the whole output is the client's colour.
    if (!scene_->wait_for_frame(
            [](const compositor_test::FrameView& v) {
                return v.width == kGuestWidth && v.rgb(2, 2) == kClientColour &&
                       v.rgb(v.width - 3, v.height - 3) == kClientColour;
            },
            kTimeoutMs))
        return "the input client never filled the output";
    if (!client_->wait_for_line(*scene_, "keyboard-enter", kTimeoutMs))
        return "the guest client never got the keyboard focus";

    if (opts.before_viewer)
        opts.before_viewer(x_.dpy());
    viewer_log_ = scene_->fixture().runtime_dir() + "/" + name + ".viewer.log";
    UniqueFd log(open(viewer_log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    viewer_dir_ = scene_->fixture().runtime_dir() + "/" + name + ".cwd";
    std::filesystem::create_directories(viewer_dir_);
    if (presenter_ == Presenter::x11)
        argv = {"/usr/bin/env", "--chdir=" + viewer_dir_, "DISPLAY=" + x_.name(),
                screenshot::viewer_path(),
                "--presenter", "x11"};
    else
        argv = {"/usr/bin/env", "--chdir=" + viewer_dir_, "-u", "DISPLAY",
                "XDG_RUNTIME_DIR=" + weston_.dir(),
                "WAYLAND_DISPLAY=" + weston_.socket(), screenshot::viewer_path(),
                "--presenter", "wayland"};
    argv.insert(argv.end(), {"--connect", scene_->fixture().daemon().consumer_socket(),
                             "--no-reconnect"});
    argv.insert(argv.end(), opts.viewer_args.begin(), opts.viewer_args.end());
    viewer_ = ChildProcess::spawn(argv, log.get());
    if (!viewer_ || !viewer_.wait_for_line("vdmabuf-viewer: ready", 10000))
        return "vdmabuf-viewer never printed ready";
    // The X11 window sizes itself to the first frame; weston's stays.
    const std::pair<int, int> size = presenter_ == Presenter::x11
                                         ? std::pair(int(kGuestWidth), int(kGuestHeight))
                                         : std::pair(kWestonWidth, kWestonHeight);
    if (!pump_until([&] {
            window_ = viewer_test::viewer_window(x_.dpy());
            return window_ && window_size() == size &&
                   window_pixel(size.first / 2, size.second / 2) == kClientColour;
        }))
        return "the viewer's window never showed the guest frame";
    XSetInputFocus(x_.dpy(), window_, RevertToPointerRoot, CurrentTime);
    XSync(x_.dpy(), False);
    if (opts.pointer_outside)
        return "";
    input_->move(window_, size.first / 2, size.second / 2);
    if (!pump_until([&] { return !lines_of(*client_, "enter").empty(); }))
        return "the guest client never heard the pointer enter";
    return "";
}

std::string WindowRun::start_weston(bool kiosk, int scale) {
    if (access(viewer_test::kWestonPath, X_OK) != 0)
        skip(std::string(viewer_test::kWestonPath) + " is missing (package weston)");
    // Pixman: no GL needed; kiosk: the viewer's toplevel fills the output.
    const std::string shell = kiosk ? "kiosk-shell.so" : "desktop-shell.so";
    if (!weston_.start({"--backend=x11-backend.so", "--use-pixman", "--shell=" + shell,
                        "--width", std::to_string(kWestonWidth / scale), "--height",
                        std::to_string(kWestonHeight / scale), "--scale", std::to_string(scale)},
                       {"DISPLAY=" + x_.name()}))
        return "weston (x11 backend) did not start";
    return "";
}

bool WindowRun::pump_until(const std::function<bool()>& pred, int timeout_ms) {
    return scene_->fixture().pump_until(pred, timeout_ms);
}

std::pair<int, int> WindowRun::window_size() const {
    XWindowAttributes a;
    if (!window_ || !XGetWindowAttributes(x_.dpy(), window_, &a))
        return {0, 0};
    return {a.width, a.height};
}

std::optional<uint32_t> WindowRun::window_pixel(int x, int y) const {
    auto [w, h] = window_size();
    if (x < 0 || y < 0 || x >= w || y >= h)
        return std::nullopt;
    XImage* img = XGetImage(x_.dpy(), window_, x, y, 1, 1, AllPlanes, ZPixmap);
    if (!img)
        return std::nullopt;
    const uint32_t rgb = uint32_t(XGetPixel(img, 0, 0)) & 0xffffff;
    XDestroyImage(img);
    return rgb;
}

void WindowRun::resize(int width, int height) const {
    if (presenter_ == Presenter::wayland)
        return;
    XResizeWindow(x_.dpy(), window_, unsigned(width), unsigned(height));
    XSync(x_.dpy(), False);
}

bool WindowRun::viewer_logged(const std::string& text) const {
    std::ifstream f(viewer_log_);
    std::string line;
    while (std::getline(f, line))
        if (line.find(text) != std::string::npos)
            return true;
    return false;
}

std::vector<std::string> lines_of(const LoggedClient& c, const std::string& word, size_t from) {
    std::vector<std::string> out;
    const std::vector<std::string> all = c.lines();
    for (size_t i = from; i < all.size(); ++i)
        if (all[i].compare(0, word.size() + 1, word + " ") == 0 || all[i] == word)
            out.push_back(all[i]);
    return out;
}

} // namespace vdmabuf::window_test
