// The HUD on the X11 window where MIT-SHM puts show the frame: the text drawn
// with core requests over the frame's top-left corner, a filled box and one
// ImageText8 per line in the server's "fixed" font (each character cell
// filled with the box colour, the text white). Core X has no alpha, so the
// box is opaque dark grey. X11ShmView draws it again after every put that
// touches it; nothing is copied or drawn with GL.
#pragma once

#include "present/x11_shm_view.hpp"

#include <xcb/xcb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vdmabuf::viewer {

class X11Hud {
public:
    inline static constexpr uint32_t kBoxColor = 0x202020, kTextColor = 0xffffff;

    // depth: the window's (32: the pixel values carry an opaque alpha).
    // nullptr (and *why) when the server has no "fixed" font.
    [[nodiscard]] static std::unique_ptr<X11Hud> create(xcb_connection_t* c, xcb_window_t window,
                                                        uint8_t depth, std::string* why);
    ~X11Hud();
    X11Hud(const X11Hud&) = delete;
    X11Hud& operator=(const X11Hud&) = delete;

    // The text (empty: none), laid out again for frames `width` x `height`
    // (lines wrapped to the width, cut to the height). The box only grows
    // while text and frame size stay, so a shorter line never leaves old
    // text behind; *uncovered: the last box where it sticks out of this one
    // (frame pixels; width 0 when not), for the caller to put again.
    void layout(const std::string& text, uint32_t width, uint32_t height,
                xcb_rectangle_t* uncovered);
    // Draws the box and text with the frame's top-left corner at (x, y).
    void draw(int x, int y) const;
    // The box in frame pixels; width 0 when there is none.
    [[nodiscard]] xcb_rectangle_t box() const noexcept { return box_; }
    [[nodiscard]] bool empty() const noexcept { return lines_.empty(); }

private:
    X11Hud(xcb_connection_t* c, xcb_window_t w) : conn_(c), window_(w) {}

    xcb_connection_t* conn_;
    xcb_window_t window_;
    uint32_t font_ = 0;
    XcbId<xcb_free_gc> box_gc_, text_gc_;
    uint16_t char_width_ = 6, ascent_ = 10, descent_ = 3;
    std::vector<std::string> lines_;
    uint32_t frame_w_ = 0, frame_h_ = 0;
    xcb_rectangle_t box_{0, 0, 0, 0};
};

} // namespace vdmabuf::viewer
