// The window suite (suite 'window'): the viewer's X11 window, and its Wayland
// window in a weston nested in the same Xvfb, driven by real X input. XTest
// injects key, button and motion events into a private Xvfb; the viewer's
// window (directly, or through weston's wl_keyboard / wl_pointer) forwards
// them through vdmabufd to the real guest compositor, and
// vdmabuf-input-client (maximized, so its surface coordinates are output
// pixels) reports what reached it.
#include <gtest/gtest.h>
// After gtest: Xlib #defines None, which gtest uses as a name.
#include <X11/Xlib.h>
#include <X11/keysym.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <vdmabuf/shared/time.hpp>

#include "window_run.hpp"

namespace vdmabuf::window_test {
namespace {

using compositor_test::FrameView;
using interactive::pressed_keysyms;

// Where the window point (x, y) shows a guest pixel when the 800x600 output
// is letterboxed into a w x h window: scaled to fit, centred.
std::pair<double, double> guest_point(int x, int y, int w, int h) {
    const double s = std::min(double(w) / kGuestWidth, double(h) / kGuestHeight);
    const double ox = (w - kGuestWidth * s) / 2, oy = (h - kGuestHeight * s) / 2;
    // X reports whole pixels; the viewer takes each pixel's centre.
    return {(x + 0.5 - ox) / s, (y + 0.5 - oy) / s};
}

// The last "motion X Y" before the last line equal to `line`, from `from` on.
std::optional<std::pair<double, double>> motion_before(const LoggedClient& c,
                                                       const std::string& line, size_t from) {
    std::optional<std::pair<double, double>> last, found;
    const std::vector<std::string> all = c.lines();
    for (size_t i = from; i < all.size(); ++i) {
        if (all[i] == line)
            found = last;
        std::istringstream in(all[i]);
        std::string word;
        double x = 0, y = 0;
        if (in >> word >> x >> y && word == "motion")
            last = std::pair(x, y);
    }
    return found;
}

// The client's lines from `from` on, for failure messages.
std::string dump(const LoggedClient& c, size_t from = 0) {
    std::string out = "\nthe client's lines:\n";
    const std::vector<std::string> all = c.lines();
    for (size_t i = from; i < all.size(); ++i)
        out += "  " + all[i] + "\n";
    return out;
}

void typed_text_gives_exact_keysyms(Presenter p) {
    WindowRun run;
    ASSERT_EQ(run.start("typing", {.presenter = p}), "");
    ASSERT_TRUE(run.input().type("Hello, vdmabuf!\n"));
    ASSERT_TRUE(run.client().wait_for_line(run.scene(), "key Return - released", kTimeoutMs))
        << "Return never arrived";
    const std::vector<std::string> want = {"Shift_L", "H",     "e", "l", "l", "o",
                                           "comma",   "space", "v", "d", "m", "a",
                                           "b",       "u",     "f", "Shift_L", "exclam", "Return"};
    EXPECT_EQ(pressed_keysyms(run.client()), want);
    EXPECT_TRUE(run.client().has_line("key exclam ! pressed"));
    EXPECT_TRUE(run.client().has_line("key H H pressed"));
    // Xvfb's root window says "us" (_XKB_RULES_NAMES): the guest was told so.
    EXPECT_TRUE(run.viewer_logged("keymap for the guest: us"));
}
TEST(Keys, TypedTextGivesExactKeysyms) { typed_text_gives_exact_keysyms(Presenter::x11); }
TEST(WaylandKeys, TypedTextGivesExactKeysyms) {
    typed_text_gives_exact_keysyms(Presenter::wayland);
}

TEST(Keys, HostLayoutComesFromTheXServer) {
    WindowRun run;
    // What `setxkbmap de` leaves on the root window; the server's own keymap
    // stays US, so XTest's "z" and "y" are the US keys.
    ASSERT_EQ(run.start("host-keymap",
                        {.before_viewer = [](Display* d) { set_rules_names(d, "de", ""); }}),
              "");
    ASSERT_TRUE(run.input().type("zy"));
    ASSERT_TRUE(run.client().wait_for_line(run.scene(), "key z z released", kTimeoutMs));
    // The US key "z" sits where a German keyboard has "y".
    EXPECT_EQ(pressed_keysyms(run.client()), (std::vector<std::string>{"y", "z"}));
    EXPECT_TRUE(run.viewer_logged("keymap for the guest: de"));
}

void viewer_shortcuts_are_not_forwarded(Presenter p) {
    WindowRun run;
    // --no-resize: the screenshot has the guest's 800x600 under weston's kiosk too.
    ASSERT_EQ(run.start("shortcuts", {.presenter = p, .viewer_args = {"--no-resize"}}), "");
    Display* d = run.dpy();
    ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_h}));
    ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_g}));
    if (p == Presenter::x11) {
        // The viewer holds the keyboard now: nobody else can grab it.
        ASSERT_TRUE(run.pump_until([&] { return run.viewer_logged("keyboard grabbed"); }))
            << "Ctrl+Alt+G did not grab";
        EXPECT_EQ(XGrabKeyboard(d, DefaultRootWindow(d), False, GrabModeAsync, GrabModeAsync,
                                CurrentTime),
                  AlreadyGrabbed);
    } else {
        // A focused Wayland window gets every key already: only logged.
        ASSERT_TRUE(run.pump_until([&] { return run.viewer_logged("Ctrl+Alt+G: Wayland"); }));
    }
    ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_g}));
    if (p == Presenter::x11) {
        ASSERT_TRUE(run.pump_until([&] { return run.viewer_logged("keyboard released"); }));
        // The viewer logs before its ungrab request is flushed: poll for it.
        EXPECT_TRUE(run.pump_until([&] {
            return XGrabKeyboard(d, DefaultRootWindow(d), False, GrabModeAsync, GrabModeAsync,
                                 CurrentTime) == GrabSuccess;
        }, 10000)) << "the keyboard stays grabbed after the second Ctrl+Alt+G";
        XUngrabKeyboard(d, CurrentTime);
        XSync(d, False);
    }
    // Ctrl+Alt+S: a screenshot of the guest frame in the viewer's directory.
    ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_s}));
    std::optional<Image> shot;
    EXPECT_TRUE(run.pump_until([&] {
        for (const auto& e : std::filesystem::directory_iterator(run.viewer_dir()))
            if (e.path().filename().string().rfind("vdmabuf-", 0) == 0 &&
                e.path().extension() == ".png")
                shot = read_png(e.path().c_str());
        return shot.has_value();
    })) << "Ctrl+Alt+S wrote no vdmabuf-*.png";
    if (shot) {
        EXPECT_EQ(shot->width, kGuestWidth);
        EXPECT_EQ(shot->height, kGuestHeight);
        const FrameView v{shot->pixels.data(), shot->width, shot->height, shot->stride};
        EXPECT_EQ(v.rgb(100, 500), kClientColour);
    }
    if (p == Presenter::x11) {
        // Ctrl+Alt+F: the EWMH fullscreen toggle, sent to the root window for
        // a window manager (none runs here; the test listens in its place).
        XSelectInput(d, DefaultRootWindow(d), SubstructureNotifyMask);
        XSync(d, False);
        ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_f}));
        const Atom state = XInternAtom(d, "_NET_WM_STATE", False);
        const Atom fullscreen = XInternAtom(d, "_NET_WM_STATE_FULLSCREEN", False);
        bool asked = false;
        EXPECT_TRUE(run.pump_until([&] {
            XEvent ev;
            while (XCheckTypedEvent(d, ClientMessage, &ev))
                asked |= ev.xclient.window == run.window() && ev.xclient.message_type == state &&
                         ev.xclient.data.l[0] == 2 && Atom(ev.xclient.data.l[1]) == fullscreen;
            return asked;
        })) << "Ctrl+Alt+F sent no _NET_WM_STATE toggle of _NET_WM_STATE_FULLSCREEN";
    } else {
        ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_f}));
    }
    // A plain key after them arrives: everything before it has been forwarded.
    ASSERT_TRUE(run.input().type("x"));
    ASSERT_TRUE(run.client().wait_for_line(run.scene(), "key x x released", kTimeoutMs));
    // Ctrl and Alt themselves reach the guest (as in QEMU); h, g, s and f never.
    std::vector<std::string> want;
    for (int chord = 0; chord < 5; ++chord)
        want.insert(want.end(), {"Control_L", "Alt_L"});
    want.push_back("x");
    EXPECT_EQ(pressed_keysyms(run.client()), want);
    for (const std::string& l : lines_of(run.client(), "key"))
        for (const char* k : {"key h ", "key g ", "key s ", "key f "})
            EXPECT_NE(l.rfind(k, 0), 0u) << l;
    // Ctrl+Alt+H turned the HUD on: it reports once a second while events come.
    int x = 100;
    EXPECT_TRUE(run.pump_until([&] {
        run.input().move(run.window(), x, 100);
        x = x == 100 ? 110 : 100;
        return run.viewer_logged("hud: ");
    }, 10000)) << "Ctrl+Alt+H did not turn the HUD on";
}
TEST(Keys, ViewerShortcutsAreNotForwarded) {
    viewer_shortcuts_are_not_forwarded(Presenter::x11);
}
TEST(WaylandKeys, ViewerShortcutsAreNotForwarded) {
    viewer_shortcuts_are_not_forwarded(Presenter::wayland);
}

// A key held while the window loses the keyboard focus is released in the
// guest at once (LEAVE); its later release, elsewhere, is not forwarded.
void losing_focus_releases_held_keys(Presenter p) {
    WindowRun run;
    ASSERT_EQ(run.start("focus", {.presenter = p}), "");
    Display* d = run.dpy();
    ASSERT_TRUE(run.input().key_event(XK_a, true));
    ASSERT_TRUE(run.client().wait_for_line(run.scene(), "key a a pressed", kTimeoutMs));
    XSetInputFocus(d, DefaultRootWindow(d), RevertToPointerRoot, CurrentTime);
    XSync(d, False);
    ASSERT_TRUE(run.client().wait_for_line(run.scene(), "key a a released", kTimeoutMs))
        << "the held key stayed down in the guest" << dump(run.client());
    ASSERT_TRUE(run.input().key_event(XK_a, false)); // to the root window
    std::vector<std::string> want = {"key a a pressed", "key a a released"};
    // weston 10's x11 backend sends no wl_keyboard.enter when its X window
    // gets the focus back, so only the X11 window types on afterwards.
    if (p == Presenter::x11) {
        XSetInputFocus(d, run.window(), RevertToPointerRoot, CurrentTime);
        XSync(d, False);
        ASSERT_TRUE(run.input().type("b"));
        ASSERT_TRUE(run.client().wait_for_line(run.scene(), "key b b released", kTimeoutMs))
            << "typing after the focus came back" << dump(run.client());
        want.insert(want.end(), {"key b b pressed", "key b b released"});
    } else {
        // Pointer motion goes the same way a stray key would: once it is
        // there, nothing else is on its way.
        const size_t from = run.client().lines().size();
        run.input().move(run.window(), 300, 200);
        ASSERT_TRUE(run.pump_until([&] { return !lines_of(run.client(), "motion", from).empty(); }))
            << "no motion after the focus went" << dump(run.client(), from);
    }
    EXPECT_EQ(lines_of(run.client(), "key"), want);
}
TEST(Focus, LosingFocusReleasesHeldKeys) { losing_focus_releases_held_keys(Presenter::x11); }
TEST(WaylandFocus, LosingFocusReleasesHeldKeys) {
    losing_focus_releases_held_keys(Presenter::wayland);
}

// Resizes the window to w x h (with --no-resize the guest keeps 800x600, so
// it is letterboxed) and waits until the viewer draws it so; the x of the
// middle of the left bar, or -1.
int letterbox(WindowRun& run, int w, int h) {
    const int bar = (w - int(kGuestWidth) * h / int(kGuestHeight)) / 2;
    // Up and left of the pointer, which start() left at the centre: weston
    // draws the cursor into its window (the hotspot is its top-left corner).
    const int px = w / 2 - 100, py = h / 2 - 100;
    run.resize(w, h);
    if (bar < 10 || !run.pump_until([&] {
            return run.window_size() == std::pair(w, h) && run.window_pixel(bar / 2, h / 2) == 0u &&
                   run.window_pixel(px, py) == kClientColour;
        })) {
        ADD_FAILURE() << "window " << run.window_size().first << "x" << run.window_size().second
                      << ", bar pixel " << std::hex << run.window_pixel(bar / 2, h / 2).value_or(1)
                      << ", picture pixel " << run.window_pixel(px, py).value_or(1);
        return -1;
    }
    return bar / 2;
}

// Pumps until the client's newest line from `from` on starts with `prefix`.
bool wait_last_line(WindowRun& run, size_t from, const std::string& prefix) {
    return run.pump_until([&] {
        const std::vector<std::string> all = run.client().lines();
        return all.size() > from && all.back().rfind(prefix, 0) == 0;
    });
}

void letterboxed_clicks_and_scroll(Presenter p, int weston_scale = 1) {
    WindowRun run;
    ASSERT_EQ(run.start("pointer", {.presenter = p,
                                    .weston_scale = weston_scale,
                                    .viewer_args = {"--no-resize"}}),
              "");
    // 2:1 window (weston's output has that size), 4:3 guest: bars left and right.
    const int w = kWestonWidth, h = kWestonHeight;
    ASSERT_GT(letterbox(run, w, h), 0) << "the viewer never letterboxed its frame";
    const size_t from = run.client().lines().size();
    const XInput& in = run.input();
    const std::pair<int, int> a{250, 100}, b{800, 450};
    in.move(run.window(), a.first, a.second);
    in.click(1);
    in.click(5);
    in.click(5);
    in.move(run.window(), b.first, b.second);
    in.click(3);
    in.click(6);
    // X11 wheel steps are 15 units, weston's 10: the value's sign is checked below.
    ASSERT_TRUE(wait_last_line(run, from, "axis horizontal -"))
        << "the last wheel step never arrived" << dump(run.client(), from);

    const auto want_a = guest_point(a.first, a.second, w, h);
    const auto want_b = guest_point(b.first, b.second, w, h);
    const auto got_a = motion_before(run.client(), "button 272 pressed", from);
    const auto got_b = motion_before(run.client(), "button 273 pressed", from);
    ASSERT_TRUE(got_a) << "no left click with a motion before it" << dump(run.client(), from);
    ASSERT_TRUE(got_b) << "no right click with a motion before it" << dump(run.client(), from);
    EXPECT_NEAR(got_a->first, want_a.first, 1.0);
    EXPECT_NEAR(got_a->second, want_a.second, 1.0);
    EXPECT_NEAR(got_b->first, want_b.first, 1.0);
    EXPECT_NEAR(got_b->second, want_b.second, 1.0);
    EXPECT_EQ(lines_of(run.client(), "button", from),
              (std::vector<std::string>{"button 272 pressed", "button 272 released",
                                        "button 273 pressed", "button 273 released"}));
    int v_steps = 0, h_steps = 0;
    for (const std::string& l : lines_of(run.client(), "axis", from)) {
        std::istringstream s(l);
        std::string word, which;
        double value = 0;
        int discrete = 0;
        ASSERT_TRUE(s >> word >> which >> value >> discrete) << l;
        EXPECT_EQ(value < 0, discrete < 0) << l;
        (which == "vertical" ? v_steps : h_steps) += discrete;
    }
    EXPECT_EQ(v_steps, 2);
    EXPECT_EQ(h_steps, -1);
    EXPECT_TRUE(run.client().has_line("axis-source wheel"));
    // --no-resize: the guest kept its size through all of it.
    for (const std::string& l : lines_of(run.client(), "configure", from))
        EXPECT_EQ(l.rfind("configure 800 600", 0), 0u) << l;
}
TEST(Pointer, LetterboxedClicksAndScrollLandOnGuestPixels) {
    letterboxed_clicks_and_scroll(Presenter::x11);
}
TEST(WaylandPointer, LetterboxedClicksAndScrollLandOnGuestPixels) {
    letterboxed_clicks_and_scroll(Presenter::wayland);
}
// weston at scale 2: the viewer's surface is 500x250 in surface units and
// draws 1000x500 buffers; pointer positions arrive in surface units and
// must land on the same guest pixels.
TEST(WaylandPointer, HiDpiClicksLandOnGuestPixels) {
    letterboxed_clicks_and_scroll(Presenter::wayland, 2);
}

TEST(Resize, WindowResizeBecomesTheGuestMode) {
    WindowRun run;
    ASSERT_EQ(run.start("resize", {}), "");
    std::set<std::pair<uint32_t, uint32_t>> sizes;
    uint64_t new_size_ns = 0;
    // Two sizes in a row, well inside the 200 ms debounce: only the last is asked for.
    const uint64_t resized_ns = now_ns();
    run.resize(700, 500);
    run.resize(640, 400);
    ASSERT_TRUE(run.scene().wait_for_frame(
        [&](const FrameView& v) {
            sizes.emplace(v.width, v.height);
            new_size_ns = now_ns();
            return v.width == 640 && v.height == 400 && v.rgb(2, 2) == kClientColour;
        },
        kTimeoutMs))
        << "the guest output never became 640x400";
    EXPECT_FALSE(sizes.count({700, 500})) << "the debounce let the first size through";
    // The viewer waits 200 ms after the last resize before it asks.
    EXPECT_GE(new_size_ns - resized_ns, 200'000'000u) << "asked before the debounce ended";
    ASSERT_TRUE(run.pump_until([&] {
        return !lines_of(run.client(), "configure").empty() &&
               lines_of(run.client(), "configure").back().rfind("configure 640 400", 0) == 0;
    })) << "the client was never configured to the new size";
    // The window shows the new frame 1:1: no bars at its corner.
    EXPECT_TRUE(run.pump_until([&] { return run.window_pixel(2, 2) == kClientColour; }))
        << "the window still letterboxes the old size";
}

TEST(Cursor, GuestCursorBecomesTheWindowCursor) {
    WindowRun run;
    const uint32_t size = 40;
    ASSERT_EQ(run.start("cursor", {.client_args = {"--cursor", "square", "--cursor-size",
                                                   std::to_string(size)},
                                   .pointer_outside = true}),
              "");
    Display* d = run.dpy();
    auto is_guest_square = [&](const std::optional<XCursorImage>& c) {
        return c && c->width == size && c->height == size && c->hotspot_x == 1 &&
               c->hotspot_y == 1 && c->argb[size * size / 2 + size / 2] == 0xffff00ffu;
    };
    // Outside the window (the screen is larger) the server's root cursor shows.
    run.input().move(DefaultRootWindow(d), 1200, 1000);
    auto outside = current_cursor(d);
    ASSERT_TRUE(outside) << "no XFixes";
    EXPECT_FALSE(is_guest_square(outside));
    // In it the guest client sets its square on pointer enter; the viewer
    // hands it to X as the window's cursor.
    run.input().move(run.window(), 300, 300);
    std::optional<XCursorImage> inside;
    EXPECT_TRUE(run.pump_until([&] { return is_guest_square(inside = current_cursor(d)); }))
        << "the window's cursor is " << (inside ? inside->width : 0) << "x"
        << (inside ? inside->height : 0) << ", not the guest's magenta square";
    // Leaving the window gives the root cursor back.
    run.input().move(DefaultRootWindow(d), 1200, 1000);
    EXPECT_FALSE(is_guest_square(current_cursor(d)));
}


// The letterbox bars are not the guest's: a click or wheel step there never
// reaches it, and a drag that starts inside and ends over a bar is released.
void nothing_reaches_the_guest_over_the_bars(Presenter p) {
    WindowRun run;
    ASSERT_EQ(run.start("bars", {.presenter = p, .viewer_args = {"--no-resize"}}), "");
    const int bar_x = letterbox(run, kWestonWidth, kWestonHeight);
    ASSERT_GT(bar_x, 0) << "the viewer never letterboxed its frame";
    const XInput& in = run.input();
    const std::pair<int, int> a{250, 100}, b{800, 450};
    in.move(run.window(), a.first, a.second); // the guest pointer is on its client
    const size_t from = run.client().lines().size();
    in.move(run.window(), bar_x, kWestonHeight / 2);
    in.click(1);
    in.click(4);
    in.click(3);
    // The drag.
    in.move(run.window(), a.first, a.second);
    in.button(1, true);
    in.move(run.window(), bar_x, kWestonHeight / 2);
    in.button(1, false);
    // A right click inside as the end mark.
    in.move(run.window(), b.first, b.second);
    in.click(3);
    ASSERT_TRUE(wait_last_line(run, from, "button 273 released"))
        << "the right click inside never arrived" << dump(run.client(), from);
    EXPECT_EQ(lines_of(run.client(), "button", from),
              (std::vector<std::string>{"button 272 pressed", "button 272 released",
                                        "button 273 pressed", "button 273 released"}))
        << "a click over the bar reached the guest" << dump(run.client(), from);
    EXPECT_TRUE(lines_of(run.client(), "axis", from).empty())
        << "a wheel step over the bar reached the guest" << dump(run.client(), from);
}
TEST(Pointer, NothingReachesTheGuestOverTheBars) {
    nothing_reaches_the_guest_over_the_bars(Presenter::x11);
}
TEST(WaylandPointer, NothingReachesTheGuestOverTheBars) {
    nothing_reaches_the_guest_over_the_bars(Presenter::wayland);
}

// The guest output becomes weston's 1000x500, the client is configured so,
// and weston's window shows the new frame 1:1 to both corners.
void expect_guest_follows_weston(WindowRun& run) {
    ASSERT_TRUE(run.scene().wait_for_frame(
        [&](const FrameView& v) {
            return v.width == uint32_t(kWestonWidth) && v.height == uint32_t(kWestonHeight) &&
                   v.rgb(2, 2) == kClientColour;
        },
        kTimeoutMs))
        << "the guest output never became weston's size";
    const std::string want = "configure " + std::to_string(kWestonWidth) + " " +
                             std::to_string(kWestonHeight);
    ASSERT_TRUE(run.pump_until([&] {
        return !lines_of(run.client(), "configure").empty() &&
               lines_of(run.client(), "configure").back().rfind(want, 0) == 0;
    })) << "the client was never configured to the new size" << dump(run.client());
    EXPECT_TRUE(run.pump_until([&] {
        return run.window_pixel(2, 2) == kClientColour &&
               run.window_pixel(kWestonWidth - 3, kWestonHeight - 3) == kClientColour;
    })) << "weston does not show the new frame 1:1";
}

// kiosk-shell makes the viewer's toplevel fullscreen on weston's 1000x500
// output before the first frame: once that frame is shown, the guest is
// asked for the window's size like after any resize.
TEST(WaylandResize, CompositorSizedWindowAsksForItsSize) {
    WindowRun run;
    ASSERT_EQ(run.start("wayland-kiosk-size", {.presenter = Presenter::wayland}), "");
    expect_guest_follows_weston(run);
}

// desktop-shell shows the viewer's window at the guest's size; Ctrl+Alt+F
// asks weston for fullscreen (over its panel), and the 1000x500 configure
// that follows the first frame is a resize: the guest output follows it.
TEST(WaylandResize, FullscreenKeyResizesTheGuest) {
    WindowRun run;
    ASSERT_EQ(run.start("wayland-resize", {.presenter = Presenter::wayland, .kiosk = false}), "");
    ASSERT_TRUE(run.input().chord({XK_Control_L, XK_Alt_L, XK_f}));
    expect_guest_follows_weston(run);
    for (const std::string& l : lines_of(run.client(), "key"))
        EXPECT_NE(l.rfind("key f ", 0), 0u) << l;
}

// weston draws the cursor its client sets into its own output: the guest's
// magenta square shows in weston's X window at the pointer, 40x40 as the
// guest made it. (Drawn by the viewer over the letterboxed 800x600 frame
// instead, it would be scaled to 33x33.)
TEST(WaylandCursor, GuestCursorIsTheSurfaceCursor) {
    WindowRun run;
    const uint32_t size = 40;
    ASSERT_EQ(run.start("wayland-cursor", {.presenter = Presenter::wayland,
                                           .client_args = {"--cursor", "square", "--cursor-size",
                                                           std::to_string(size)},
                                           .viewer_args = {"--no-resize"}}),
              "");
    const int px = 300, py = 200;
    run.input().move(run.window(), px, py);
    // The square's hotspot is (1, 1): it covers (px - 1, py - 1) on.
    EXPECT_TRUE(run.pump_until([&] {
        return run.window_pixel(px + 20, py + 20) == 0xff00ffu &&
               run.window_pixel(px - 1, py + 38) == 0xff00ffu &&
               run.window_pixel(px + 38, py - 1) == 0xff00ffu;
    })) << "no magenta square at the pointer: "
        << std::hex << run.window_pixel(px + 20, py + 20).value_or(0);
    EXPECT_EQ(run.window_pixel(px + 39, py + 39), kClientColour) << "the square is larger";
}

} // namespace
} // namespace vdmabuf::window_test
