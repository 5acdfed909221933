#include "xvfb.hpp"

#include <X11/Xlib.h>

#include <unistd.h>

namespace vdmabuf::viewer_test {

bool Xvfb::start(const std::string& screen) {
    // A number per test process, skipping displays someone else holds.
    for (int n = 90 + getpid() % 100; n < 400; n += 7) {
        std::string name = ":" + std::to_string(n);
        if (access(("/tmp/.X11-unix/X" + std::to_string(n)).c_str(), F_OK) == 0 ||
            access(("/tmp/.X" + std::to_string(n) + "-lock").c_str(), F_OK) == 0)
            continue;
        proc_ = ChildProcess::spawn({kXvfbPath, name, "-screen", "0", screen, "-nolisten", "tcp"});
        for (int i = 0; i < 200 && proc_; ++i) {
            if ((dpy_ = XOpenDisplay(name.c_str()))) {
                name_ = name;
                return true;
            }
            if (proc_.exited())
                break; // lost the race for this number: try the next
            usleep(50000);
        }
        proc_ = ChildProcess();
    }
    return false;
}

Xvfb::~Xvfb() {
    if (dpy_)
        XCloseDisplay(dpy_);
}

Window viewer_window(Display* d) {
    Window root_ret, parent, *children = nullptr;
    unsigned n = 0;
    XQueryTree(d, DefaultRootWindow(d), &root_ret, &parent, &children, &n);
    Window w = 0;
    for (unsigned i = 0; i < n; ++i) {
        XWindowAttributes a;
        if (XGetWindowAttributes(d, children[i], &a) && a.map_state == IsViewable)
            w = children[i];
    }
    if (children)
        XFree(children);
    return w;
}

} // namespace vdmabuf::viewer_test
