// Draws a guest frame (a GL texture) into the bound framebuffer: scaled to fit
// with its aspect kept (letterboxed on black), optionally dimmed ("waiting").
// Nearest sampling at 1:1, so an FBO at the guest's size reads back byte-exact.
#pragma once

#include "egl/gl_handles.hpp"

#include <memory>

namespace vdmabuf::viewer {

struct DrawParams {
    GLuint texture = 0;
    uint32_t tex_width = 0, tex_height = 0;
    uint32_t target_width = 0, target_height = 0;
    // Window framebuffers have y up; our textures and FBO readback have row 0
    // first, so windows flip and FBOs do not.
    bool flip_y = false;
    bool opaque = true; // XRGB: ignore the X byte
    float dim = 1.0f;   // < 1: the "waiting" look
};

class Renderer {
public:
    // Compiles the program in the current context; nullptr (logged) on failure.
    [[nodiscard]] static std::unique_ptr<Renderer> create();
    void draw(const DrawParams& p) const;
    // Where the frame lands in the target (letterbox), in target pixels.
    struct Rect { int x, y, w, h; };
    // Blends a premultiplied RGBA texture (the guest's cursor) over what is
    // in the bound target at dst (target pixels, row 0 at the top).
    void draw_overlay(GLuint texture, Rect dst, uint32_t target_width, uint32_t target_height,
                      bool flip_y) const;
    [[nodiscard]] static Rect fit(uint32_t tw, uint32_t th, uint32_t vw, uint32_t vh);

private:
    void quad(GLuint texture, Rect r, uint32_t target_width, uint32_t target_height, bool flip_y,
              bool opaque, float dim, GLint filter) const;
    GlProgram program_;
    GLint u_dst_ = -1, u_tex_ = -1, u_dim_ = -1, u_opaque_ = -1;
};

} // namespace vdmabuf::viewer
