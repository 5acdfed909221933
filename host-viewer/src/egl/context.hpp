// A GLES2 context on an EglDisplay. GL objects are deleted only while their
// context is current, so their owners make it current in their destructors.
#pragma once

#include "egl/display.hpp"

#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>

#include <memory>
#include <string>

namespace vdmabuf::viewer {

// GL_OES_EGL_image: binds an EGLImage to a texture.
struct GlProcs {
    PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture_2d = nullptr;
};

class EglContext {
public:
    // config may be null when EGL_KHR_no_config_context lets us skip it
    // (surfaceless). nullptr (logged) on failure.
    [[nodiscard]] static std::unique_ptr<EglContext> create(const EglDisplay& display,
                                                            EGLConfig config);
    ~EglContext();
    EglContext(const EglContext&) = delete;
    EglContext& operator=(const EglContext&) = delete;

    // surface may be EGL_NO_SURFACE (EGL_KHR_surfaceless_context).
    [[nodiscard]] bool make_current(EGLSurface surface = EGL_NO_SURFACE) const;
    [[nodiscard]] const EglDisplay& display() const noexcept { return display_; }
    [[nodiscard]] EGLContext get() const noexcept { return ctx_; }
    // GL extensions; valid after the first make_current().
    [[nodiscard]] bool has_gl(const char* extension) const;
    [[nodiscard]] const GlProcs& gl_procs() const noexcept { return gl_procs_; }
    // GL_RENDERER ("llvmpipe (LLVM 15.0.6, 256 bits)"); valid after the first make_current().
    [[nodiscard]] const std::string& renderer() const noexcept { return renderer_; }

private:
    EglContext(const EglDisplay& display, EGLContext ctx) : display_(display), ctx_(ctx) {}
    const EglDisplay& display_;
    EGLContext ctx_;
    mutable std::string gl_extensions_;
    mutable std::string renderer_;
    GlProcs gl_procs_;
};

} // namespace vdmabuf::viewer
