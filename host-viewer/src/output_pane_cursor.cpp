// OutputPane: the guest's cursor. On the host window's own cursor where the
// presenter can, else drawn by us over the frame (never into headless frames).
#include "output_pane.hpp"

#include <algorithm>
#include <cmath>

namespace vdmabuf::viewer {

void OutputPane::set_cursor_image(CursorPixels image) {
    cursor_ = std::move(image);
    cursor_stale_ = true;
    bool was_on_host = cursor_on_host_;
    cursor_on_host_ = presenter_->is_window() &&
                      presenter_->set_cursor(cursor_.width ? &cursor_ : nullptr);
    if (presenter_->is_window() && (!cursor_on_host_ || !was_on_host))
        dirty_ = true;
}

void OutputPane::move_cursor(int32_t x, int32_t y, bool visible) {
    ++cursor_moves_;
    bool changed = x != cursor_x_ || y != cursor_y_ || visible != cursor_visible_;
    cursor_x_ = x;
    cursor_y_ = y;
    cursor_visible_ = visible;
    // Drawn by us: draw again (no guest frame needed); on the host: nothing to do.
    if (changed && presenter_->is_window() && !cursor_on_host_)
        dirty_ = true;
}

void OutputPane::upload_cursor() {
    // ARGB8888 bytes B, G, R, A to GL's RGBA: 128x128 at most, swizzled here.
    std::vector<uint8_t> rgba(cursor_.argb.size());
    for (size_t i = 0; i + 3 < rgba.size(); i += 4) {
        rgba[i] = cursor_.argb[i + 2];
        rgba[i + 1] = cursor_.argb[i + 1];
        rgba[i + 2] = cursor_.argb[i];
        rgba[i + 3] = cursor_.argb[i + 3];
    }
    cursor_texture_ = make_texture();
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, cursor_texture_.get());
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, GLsizei(cursor_.width), GLsizei(cursor_.height), 0,
                 GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    cursor_stale_ = false;
}

void OutputPane::draw_cursor(uint32_t target_w, uint32_t target_h, bool flip_y) {
    if (!cursor_visible_ || !cursor_.width || !cursor_.height || !shown_width_ || !shown_height_)
        return;
    if (cursor_stale_ || !cursor_texture_)
        upload_cursor();
    // Output pixels to target pixels: the frame's letterbox rectangle and scale.
    Renderer::Rect f = Renderer::fit(shown_width_, shown_height_, target_w, target_h);
    double sx = double(f.w) / shown_width_, sy = double(f.h) / shown_height_;
    Renderer::Rect r{f.x + int(std::lround((cursor_x_ - int32_t(cursor_.hotspot_x)) * sx)),
                     f.y + int(std::lround((cursor_y_ - int32_t(cursor_.hotspot_y)) * sy)),
                     std::max(1, int(std::lround(cursor_.width * sx))),
                     std::max(1, int(std::lround(cursor_.height * sy)))};
    renderer_->draw_overlay(cursor_texture_.get(), r, target_w, target_h, flip_y);
}

} // namespace vdmabuf::viewer
