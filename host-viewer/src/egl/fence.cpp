#define VDM_LOG_SCOPE "egl"
#include "egl/fence.hpp"

#include <vdmabuf/shared/log.hpp>

#include <GLES2/gl2.h>

namespace vdmabuf::viewer {

EglFence EglFence::create(const EglDisplay& display) {
    EglFence f;
    if (!display.procs().create_sync)
        return f;
    EGLSyncKHR sync = display.procs().create_sync(display.get(), EGL_SYNC_FENCE_KHR, nullptr);
    if (sync == EGL_NO_SYNC_KHR) {
        VDM_ERROR("eglCreateSyncKHR(EGL_SYNC_FENCE_KHR) failed: %s",
                  egl_error_name(eglGetError()));
        return f;
    }
    glFlush(); // a fence in an unflushed command stream may never signal
    f.display_ = &display;
    f.sync_ = sync;
    return f;
}

EglFence EglFence::fence_or_finish(const EglDisplay& display) {
    EglFence f = create(display);
    if (!f)
        glFinish();
    return f;
}

bool EglFence::wait(EGLTimeKHR timeout_ns) const {
    if (sync_ == EGL_NO_SYNC_KHR)
        return true;
    EGLint r = display_->procs().client_wait_sync(display_->get(), sync_, 0, timeout_ns);
    if (r == EGL_TIMEOUT_EXPIRED_KHR)
        return false;
    if (r == EGL_FALSE)
        VDM_ERROR("eglClientWaitSyncKHR failed: %s", egl_error_name(eglGetError()));
    return true;
}

void EglFence::reset() noexcept {
    if (sync_ != EGL_NO_SYNC_KHR)
        display_->procs().destroy_sync(display_->get(), sync_);
    sync_ = EGL_NO_SYNC_KHR;
    display_ = nullptr;
}

} // namespace vdmabuf::viewer
