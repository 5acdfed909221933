#include "present/x11_host.hpp"

#include <X11/Xatom.h>
#ifdef VDMABUF_VIEWER_XRENDER
#include <X11/extensions/Xrender.h>
#endif

namespace vdmabuf::viewer {

std::optional<std::string> x11_host_keymap(Display* d) {
    // "rules\0model\0layout\0variant\0options\0", as setxkbmap leaves it.
    Atom atom = XInternAtom(d, "_XKB_RULES_NAMES", True);
    if (atom == None)
        return std::nullopt;
    Atom type = None;
    int format = 0;
    unsigned long n = 0, after = 0;
    unsigned char* data = nullptr;
    if (XGetWindowProperty(d, DefaultRootWindow(d), atom, 0, 1024, False, XA_STRING, &type,
                           &format, &n, &after, &data) != Success || !data)
        return std::nullopt;
    std::string fields[4];
    size_t field = 0;
    for (unsigned long i = 0; i < n && field < 4; ++i) {
        if (data[i])
            fields[field] += char(data[i]);
        else
            ++field;
    }
    XFree(data);
    const std::string& layout = fields[2];
    std::string variant = fields[3];
    if (variant.find_first_not_of(',') == std::string::npos)
        variant.clear(); // "," for "us,de": no variants at all
    if (layout.empty())
        return std::nullopt;
    return variant.empty() ? layout : layout + ":" + variant;
}

Cursor x11_argb_cursor(Display* d, Window window, const CursorPixels* image) {
#ifdef VDMABUF_VIEWER_XRENDER
    int event_base = 0, error_base = 0;
    if (!XRenderQueryExtension(d, &event_base, &error_base))
        return 0;
    XRenderPictFormat* argb = XRenderFindStandardFormat(d, PictStandardARGB32);
    if (!argb)
        return 0;
    // Hidden: a 1x1 transparent cursor, so the host's arrow does not show either.
    static const uint8_t kClear[4] = {};
    const uint32_t w = image ? image->width : 1, h = image ? image->height : 1;
    const uint8_t* px = image ? image->argb.data() : kClear;
    Pixmap pixmap = XCreatePixmap(d, window, w, h, 32);
    XImage* xi = XCreateImage(d, nullptr, 32, ZPixmap, 0, nullptr, w, h, 32, int(w * 4));
    if (!xi) {
        XFreePixmap(d, pixmap);
        return 0;
    }
    // XRender's ARGB32 is premultiplied, as the guest's cursor is.
    xi->data = const_cast<char*>(reinterpret_cast<const char*>(px));
    GC gc = XCreateGC(d, pixmap, 0, nullptr);
    XPutImage(d, pixmap, gc, xi, 0, 0, 0, 0, w, h);
    xi->data = nullptr; // not ours to free
    XDestroyImage(xi);
    XFreeGC(d, gc);
    Picture picture = XRenderCreatePicture(d, pixmap, argb, 0, nullptr);
    Cursor cursor = XRenderCreateCursor(d, picture, image ? image->hotspot_x : 0,
                                        image ? image->hotspot_y : 0);
    XRenderFreePicture(d, picture);
    XFreePixmap(d, pixmap);
    return cursor;
#else
    (void)d, (void)window, (void)image;
    return 0;
#endif
}

} // namespace vdmabuf::viewer
