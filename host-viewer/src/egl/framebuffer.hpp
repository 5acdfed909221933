// An offscreen RGBA8 framebuffer (texture-backed) and its byte-exact readback
// as ARGB8888 (bytes B, G, R, A): the headless presenter's target and the
// screenshot path of window presenters.
#pragma once

#include "egl/context.hpp"
#include "egl/gl_handles.hpp"

#include <vdmabuf/shared/png.hpp>

#include <memory>

namespace vdmabuf::viewer {

class Framebuffer {
public:
    // In the current context; nullptr (logged) if incomplete.
    [[nodiscard]] static std::unique_ptr<Framebuffer> create(uint32_t width, uint32_t height);
    void bind() const;
    [[nodiscard]] uint32_t width() const noexcept { return width_; }
    [[nodiscard]] uint32_t height() const noexcept { return height_; }
    // Reads the bound framebuffer (bind() first) into an ARGB8888 image:
    // GL_BGRA_EXT when GL_EXT_read_format_bgra allows it, else RGBA + swizzle.
    [[nodiscard]] Image read(const EglContext& ctx) const;

private:
    GlTexture color_;
    GlFramebuffer fbo_;
    uint32_t width_ = 0, height_ = 0;
};

} // namespace vdmabuf::viewer
