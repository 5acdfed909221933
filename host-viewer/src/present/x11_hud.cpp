#define VDM_LOG_SCOPE "x11"
#include "present/x11_hud.hpp"

#include "hud/hud_image.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace vdmabuf::viewer {
namespace {

constexpr uint16_t kPad = 3; // pixels around the text

} // namespace

std::unique_ptr<X11Hud> X11Hud::create(xcb_connection_t* c, xcb_window_t window, uint8_t depth,
                                       std::string* why) {
    static constexpr char kFont[] =
        "fixed"; // every X server has it (the default cursor font's peer)
    std::unique_ptr<X11Hud> hud(new X11Hud(c, window));
    const uint32_t font = xcb_generate_id(c);
    // Checked, once: an error would otherwise reach Xlib's default handler.
    if (xcb_generic_error_t* err = xcb_request_check(
            c, xcb_open_font_checked(c, font, uint16_t(std::strlen(kFont)), kFont))) {
        *why =
            "the X server has no \"fixed\" font (X error " + std::to_string(err->error_code) + ")";
        std::free(err);
        return nullptr;
    }
    hud->font_ = font;
    if (auto* q = xcb_query_font_reply(c, xcb_query_font(c, font), nullptr)) {
        hud->char_width_ = uint16_t(std::max<int16_t>(1, q->max_bounds.character_width));
        hud->ascent_ = uint16_t(std::max<int16_t>(1, q->font_ascent));
        hud->descent_ = uint16_t(std::max<int16_t>(0, q->font_descent));
        std::free(q);
    }
    const uint32_t alpha = depth == 32 ? 0xff000000u : 0u;
    const uint32_t box[] = {alpha | kBoxColor, 0};
    const uint32_t box_gc = xcb_generate_id(c);
    xcb_create_gc(c, box_gc, window, XCB_GC_FOREGROUND | XCB_GC_GRAPHICS_EXPOSURES, box);
    hud->box_gc_ = XcbId<xcb_free_gc>(c, box_gc);
    // Values in the mask's bit order: foreground, background, font, exposures.
    const uint32_t text[] = {alpha | kTextColor, alpha | kBoxColor, font, 0};
    const uint32_t text_gc = xcb_generate_id(c);
    xcb_create_gc(c, text_gc, window,
                  XCB_GC_FOREGROUND | XCB_GC_BACKGROUND | XCB_GC_GRAPHICS_EXPOSURES | XCB_GC_FONT,
                  text);
    hud->text_gc_ = XcbId<xcb_free_gc>(c, text_gc);
    return hud;
}

X11Hud::~X11Hud() {
    if (font_)
        xcb_close_font(conn_, font_);
}

void X11Hud::layout(const std::string& text, uint32_t width, uint32_t height,
                    xcb_rectangle_t* uncovered) {
    const xcb_rectangle_t old = box_;
    const bool same_frame = width == frame_w_ && height == frame_h_;
    frame_w_ = width, frame_h_ = height;
    lines_.clear();
    const uint32_t line_h = uint32_t(ascent_) + descent_;
    if (!text.empty() && width > 2u * kPad + char_width_ && height > 2u * kPad + line_h) {
        // ImageText8 takes at most 255 characters.
        const uint32_t columns = std::min<uint32_t>(255, (width - 2 * kPad) / char_width_);
        lines_ = hud::wrap(text, columns);
        lines_.resize(std::min<size_t>(lines_.size(), (height - 2 * kPad) / line_h));
    }
    size_t longest = 0;
    for (const std::string& l : lines_)
        longest = std::max(longest, l.size());
    uint16_t w = 0, h = 0;
    if (!lines_.empty()) {
        w = uint16_t(std::min<uint32_t>(width, uint32_t(longest) * char_width_ + 2 * kPad));
        h = uint16_t(std::min<uint32_t>(height, uint32_t(lines_.size()) * line_h + 2 * kPad));
        if (same_frame) { // grows only: old text never stays uncovered
            w = std::max(w, old.width);
            h = std::max(h, old.height);
        }
    }
    box_ = {0, 0, w, h};
    // The old box sticks out (no text, another frame): all of it again.
    *uncovered = old.width > w || old.height > h ? old : xcb_rectangle_t{0, 0, 0, 0};
}

void X11Hud::draw(int x, int y) const {
    if (lines_.empty())
        return;
    const xcb_rectangle_t r{int16_t(x), int16_t(y), box_.width, box_.height};
    xcb_poly_fill_rectangle(conn_, window_, box_gc_.get(), 1, &r);
    const int line_h = int(ascent_) + descent_;
    for (size_t i = 0; i < lines_.size(); ++i)
        xcb_image_text_8(conn_, uint8_t(lines_[i].size()), window_, text_gc_.get(),
                         int16_t(x + kPad), int16_t(y + kPad + ascent_ + int(i) * line_h),
                         lines_[i].c_str());
}

} // namespace vdmabuf::viewer
