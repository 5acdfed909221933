// X11ShmView: the HUD (x11_hud.hpp) over the frame the puts show.
#include "present/x11_shm_view.hpp"

#include "present/x11_hud.hpp"

namespace vdmabuf::viewer {

bool X11ShmView::set_hud(const std::string& text) {
    if (!hud_)
        return false;
    hud_text_ = text;
    if (!visible_ || !shown_)
        return true; // laid out with the next frame
    xcb_rectangle_t gone;
    hud_->layout(text, shown_->width, shown_->height, &gone);
    // The frame again where the box was and is no more: from the pixmap that
    // keeps a still frame, else from its buffer (held while shown).
    if (gone.width && gone.height && still_of_ == shown_) {
        xcb_copy_area(conn_, still_.get(), uint32_t(t_.window), gc_.get(), gone.x, gone.y,
                      int16_t(x_ + gone.x), int16_t(y_ + gone.y), gone.width, gone.height);
    } else if (gone.width && gone.height) {
        const vdmabuf_rect r{uint32_t(gone.x), uint32_t(gone.y), gone.width, gone.height};
        (void)put(*shown_, std::span(&r, 1));
    }
    draw_hud({});
    return true;
}

void X11ShmView::draw_hud(std::span<const vdmabuf_rect> rects) {
    if (!hud_ || hud_->empty())
        return;
    const xcb_rectangle_t b = hud_->box();
    bool touched = rects.empty();
    for (const vdmabuf_rect& r : rects)
        touched = touched || (r.width && r.height && r.x < b.width && r.y < b.height);
    if (!touched)
        return;
    hud_->draw(x_, y_); // after the puts: requests run in order
    xcb_flush(conn_);
}

} // namespace vdmabuf::viewer
