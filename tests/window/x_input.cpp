#include "x_input.hpp"

#include <X11/XKBlib.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#ifdef VDMABUF_WINDOW_XTEST
#include <X11/extensions/XTest.h>
#endif
#include <X11/extensions/Xfixes.h>
#include <X11/keysym.h>

namespace vdmabuf::window_test {

#ifdef VDMABUF_WINDOW_XTEST
bool XInput::available() const {
    int event_base = 0, error_base = 0, major = 0, minor = 0;
    return XTestQueryExtension(d_, &event_base, &error_base, &major, &minor);
}

void XInput::move(Window w, int x, int y) const {
    int rx = 0, ry = 0;
    Window child = 0;
    XTranslateCoordinates(d_, w, DefaultRootWindow(d_), x, y, &rx, &ry, &child);
    XTestFakeMotionEvent(d_, DefaultScreen(d_), rx, ry, CurrentTime);
    XSync(d_, False);
}

void XInput::click(unsigned button) const {
    XTestFakeButtonEvent(d_, button, True, CurrentTime);
    XTestFakeButtonEvent(d_, button, False, CurrentTime);
    XSync(d_, False);
}

void XInput::button(unsigned button, bool pressed) const {
    XTestFakeButtonEvent(d_, button, pressed, CurrentTime);
    XSync(d_, False);
}

bool XInput::key(unsigned long keysym, bool pressed) const {
    const KeyCode code = XKeysymToKeycode(d_, keysym);
    if (!code)
        return false;
    XTestFakeKeyEvent(d_, code, pressed, CurrentTime);
    return true;
}

bool XInput::key_event(unsigned long keysym, bool pressed) const {
    const bool ok = key(keysym, pressed);
    XSync(d_, False);
    return ok;
}

bool XInput::type(const std::string& text) const {
    for (char c : text) {
        // ASCII keysyms are the characters themselves.
        const KeySym sym = c == '\n' ? XK_Return : KeySym(static_cast<unsigned char>(c));
        const KeyCode code = XKeysymToKeycode(d_, sym);
        if (!code)
            return false;
        const bool shift = XkbKeycodeToKeysym(d_, code, 0, 0) != sym;
        if (shift && !key(XK_Shift_L, true))
            return false;
        XTestFakeKeyEvent(d_, code, True, CurrentTime);
        XTestFakeKeyEvent(d_, code, False, CurrentTime);
        if (shift)
            (void)key(XK_Shift_L, false);
    }
    XSync(d_, False);
    return true;
}

bool XInput::chord(const std::vector<unsigned long>& keysyms) const {
    for (unsigned long sym : keysyms)
        if (!key(sym, true))
            return false;
    for (auto it = keysyms.rbegin(); it != keysyms.rend(); ++it)
        (void)key(*it, false);
    XSync(d_, False);
    return true;
}

#else
// Without libXtst nothing is injected; WindowRun::start() skips first.
bool XInput::available() const { return false; }
void XInput::move(Window, int, int) const {}
void XInput::click(unsigned) const {}
void XInput::button(unsigned, bool) const {}
bool XInput::key(unsigned long, bool) const { return false; }
bool XInput::key_event(unsigned long, bool) const { return false; }
bool XInput::type(const std::string&) const { return false; }
bool XInput::chord(const std::vector<unsigned long>&) const { return false; }
#endif

std::optional<XCursorImage> current_cursor(Display* d) {
    int event_base = 0, error_base = 0;
    if (!XFixesQueryExtension(d, &event_base, &error_base))
        return std::nullopt;
    XFixesCursorImage* img = XFixesGetCursorImage(d);
    if (!img)
        return std::nullopt;
    XCursorImage out{img->width, img->height, img->xhot, img->yhot, {}};
    out.argb.resize(size_t(img->width) * img->height);
    for (size_t i = 0; i < out.argb.size(); ++i)
        out.argb[i] = uint32_t(img->pixels[i]); // unsigned long per pixel
    XFree(img);
    return out;
}

void set_rules_names(Display* d, const std::string& layout, const std::string& variant) {
    const std::string value = std::string("evdev") + '\0' + "pc105" + '\0' + layout + '\0' +
                              variant + '\0' + '\0';
    const Atom atom = XInternAtom(d, "_XKB_RULES_NAMES", False);
    XChangeProperty(d, DefaultRootWindow(d), atom, XA_STRING, 8, PropModeReplace,
                    reinterpret_cast<const unsigned char*>(value.data()), int(value.size()));
    XSync(d, False);
}

} // namespace vdmabuf::window_test
