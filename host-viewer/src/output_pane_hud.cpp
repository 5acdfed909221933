// OutputPane: the HUD over the picture's top-left corner. Where the window
// system shows the frame itself (pass-through), it shows the HUD too
// (PassThrough::set_hud: no copy or GL draw per frame). Where GL draws the
// frame, the CPU-rendered text is a texture, uploaded when the text changes,
// blended over the frame in window pixels (never scaled with it). Headless
// targets and screenshots never have it: they are the guest frame.
#include "output_pane.hpp"

#include "hud/hud_image.hpp"

#include <vector>

namespace vdmabuf::viewer {

void OutputPane::set_hud(const std::string& text) {
    if (text == hud_text_)
        return;
    hud_text_ = text;
    hud_stale_ = true;
    if (PassThrough* pt = presenter_->pass_through())
        (void)pt->set_hud(text);
    // GL draws the frame: once more, with the new text (once a second).
    if (presenter_->is_window() && !pass_through_shown_ && has_frame())
        dirty_ = true;
}

void OutputPane::upload_hud(uint32_t width) {
    const hud::Image img = hud::render(hud_text_, width);
    hud_stale_ = false;
    hud_width_ = width;
    hud_w_ = img.width, hud_h_ = img.height;
    if (img.pixels.empty()) {
        hud_texture_ = {};
        return;
    }
    // 0xAARRGGBB (premultiplied) to GL's RGBA bytes.
    std::vector<uint8_t> rgba(img.pixels.size() * 4);
    for (size_t i = 0; i < img.pixels.size(); ++i) {
        const uint32_t p = img.pixels[i];
        rgba[4 * i] = uint8_t(p >> 16);
        rgba[4 * i + 1] = uint8_t(p >> 8);
        rgba[4 * i + 2] = uint8_t(p);
        rgba[4 * i + 3] = uint8_t(p >> 24);
    }
    hud_texture_ = make_texture();
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, hud_texture_.get());
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, GLsizei(img.width), GLsizei(img.height), 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, rgba.data());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

void OutputPane::draw_hud(uint32_t target_w, uint32_t target_h, bool flip_y) {
    if (hud_text_.empty() || !shown_width_ || !shown_height_)
        return;
    const Renderer::Rect f = Renderer::fit(shown_width_, shown_height_, target_w, target_h);
    if (f.w <= 0 || f.h <= 0)
        return;
    if (hud_stale_ || hud_width_ != uint32_t(f.w))
        upload_hud(uint32_t(f.w)); // wrapped to the picture's width
    if (hud_texture_)
        renderer_->draw_overlay(hud_texture_.get(),
                                {f.x, f.y, int(hud_w_), int(std::min<uint32_t>(hud_h_, f.h))},
                                target_w, target_h, flip_y);
}

} // namespace vdmabuf::viewer
