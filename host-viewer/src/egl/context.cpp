#define VDM_LOG_SCOPE "egl"
#include "egl/context.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstring>

namespace vdmabuf::viewer {

std::unique_ptr<EglContext> EglContext::create(const EglDisplay& display, EGLConfig config) {
    const EGLint attribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
    EGLContext ctx = eglCreateContext(display.get(), config, EGL_NO_CONTEXT, attribs);
    if (ctx == EGL_NO_CONTEXT) {
        VDM_ERROR("eglCreateContext(GLES2) failed: %s", egl_error_name(eglGetError()));
        return nullptr;
    }
    std::unique_ptr<EglContext> c(new EglContext(display, ctx));
    c->gl_procs_.image_target_texture_2d = reinterpret_cast<PFNGLEGLIMAGETARGETTEXTURE2DOESPROC>(
        eglGetProcAddress("glEGLImageTargetTexture2DOES"));
    return c;
}

EglContext::~EglContext() {
    if (eglGetCurrentContext() == ctx_)
        eglMakeCurrent(display_.get(), EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(display_.get(), ctx_);
}

bool EglContext::make_current(EGLSurface surface) const {
    if (!eglMakeCurrent(display_.get(), surface, surface, ctx_)) {
        VDM_ERROR("eglMakeCurrent failed: %s", egl_error_name(eglGetError()));
        return false;
    }
    if (gl_extensions_.empty()) {
        const auto* ext = reinterpret_cast<const char*>(glGetString(GL_EXTENSIONS));
        gl_extensions_ = ext ? ext : " ";
        const auto* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
        renderer_ = renderer ? renderer : "";
        VDM_DEBUG("GL: %s / %s", reinterpret_cast<const char*>(glGetString(GL_VERSION)),
                  renderer_.c_str());
    }
    return true;
}

bool EglContext::has_gl(const char* extension) const {
    size_t len = std::strlen(extension);
    for (size_t pos = gl_extensions_.find(extension); pos != std::string::npos;
         pos = gl_extensions_.find(extension, pos + 1)) {
        bool start = pos == 0 || gl_extensions_[pos - 1] == ' ';
        bool end = pos + len == gl_extensions_.size() || gl_extensions_[pos + len] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

} // namespace vdmabuf::viewer
