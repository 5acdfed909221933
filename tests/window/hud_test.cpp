// Ctrl+Alt+H in a real window: the HUD appears over the picture's top-left
// corner (white text on a dark box) within a couple of seconds, and the
// second Ctrl+Alt+H takes it away, leaving exactly the pixels that were
// there before (X11: MIT-SHM puts, the box's area put again; Wayland: the
// HUD's subsurface gets a NULL buffer).
#include <gtest/gtest.h>
// After gtest: Xlib #defines None, which gtest uses as a name.
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>

#include <cstdio>
#include <cstdio>
#include <vector>

#include "window_run.hpp"

namespace vdmabuf::window_test {
namespace {

// The window's pixels (0xRRGGBB), row by row; empty when they cannot be read.
struct Pixels {
    int width = 0, height = 0;
    std::vector<uint32_t> rgb;
    [[nodiscard]] uint32_t at(int x, int y) const {
        return rgb[size_t(y) * size_t(width) + size_t(x)];
    }
};

Pixels grab(const WindowRun& run) {
    Pixels p;
    auto [w, h] = run.window_size();
    if (w <= 0 || h <= 0)
        return p;
    XImage* img =
        XGetImage(run.dpy(), run.window(), 0, 0, unsigned(w), unsigned(h), AllPlanes, ZPixmap);
    if (!img)
        return p;
    p.width = w, p.height = h;
    p.rgb.resize(size_t(w) * size_t(h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            p.rgb[size_t(y) * size_t(w) + size_t(x)] = uint32_t(XGetPixel(img, x, y)) & 0xffffff;
    XDestroyImage(img);
    return p;
}

// The corner the HUD covers: from the picture's top-left (where the black
// bars end on the middle row and column), 120 x 14 pixels.
struct Corner {
    int x = 0, y = 0;
    std::vector<uint32_t> rgb;
};

Corner corner_of(const Pixels& p, int x0 = -1, int y0 = -1) {
    Corner c;
    if (p.rgb.empty())
        return c;
    if (x0 < 0) {
        while (c.x < p.width / 2 && p.at(c.x, p.height / 2) == 0)
            ++c.x;
        while (c.y < p.height / 2 && p.at(p.width / 2, c.y) == 0)
            ++c.y;
    } else {
        c.x = x0, c.y = y0;
    }
    for (int y = c.y; y < std::min(p.height, c.y + 14); ++y)
        for (int x = c.x; x < std::min(p.width, c.x + 120); ++x)
            c.rgb.push_back(p.at(x, y));
    return c;
}

void hud_toggles(Presenter presenter, int scale = 1) {
    WindowRun run;
    ASSERT_EQ(run.start("hud", {.presenter = presenter, .weston_scale = scale}), "");
    const Corner before = corner_of(grab(run));
    ASSERT_FALSE(before.rgb.empty()) << "cannot read the window";
    ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_h}));
    size_t white = 0, changed = 0;
    EXPECT_TRUE(run.pump_until(
        [&] {
            const Corner now = corner_of(grab(run), before.x, before.y);
            if (now.rgb.size() != before.rgb.size())
                return false;
            white = changed = 0;
            for (size_t i = 0; i < now.rgb.size(); ++i) {
                changed += now.rgb[i] != before.rgb[i];
                white += now.rgb[i] == 0xffffff && before.rgb[i] != 0xffffff;
            }
            return white > 40 && changed > now.rgb.size() / 2;
        },
        10000))
        << "no HUD at the picture's corner (" << before.x << "," << before.y << "): " << white
        << " text pixels, " << changed << " changed";
    // For the log: which path showed the frame (pass-through where vdmabufd
    // hands out guest memory).
    for (const char* path : {"import path: MIT-SHM", "import path: wl_shm", "import path: copy"})
        if (run.viewer_logged(path))
            std::fprintf(stderr, "viewer: %s\n", path);
    ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_h}));
    EXPECT_TRUE(run.pump_until(
        [&] { return corner_of(grab(run), before.x, before.y).rgb == before.rgb; }, 10000))
        << "the corner did not go back to the guest's pixels after Ctrl+Alt+H";
}

TEST(Hud, ShortcutShowsAndHidesTheOverlay) {
    hud_toggles(Presenter::x11);
}
TEST(WaylandHud, ShortcutShowsAndHidesTheOverlay) {
    hud_toggles(Presenter::wayland);
}
// HiDPI: the HUD's buffers are drawn at the output's scale (2x2 pixel font).
TEST(WaylandHud, ShortcutShowsAndHidesTheOverlayAtScale2) {
    hud_toggles(Presenter::wayland, 2);
}

} // namespace
} // namespace vdmabuf::window_test
