// An EGL_KHR_fence_sync fence: signalled when the GL commands issued before it
// (an upload, a draw + swap) have completed. Move-only; destroyed with its display.
#pragma once

#include "egl/display.hpp"

#include <utility>

namespace vdmabuf::viewer {

class EglFence {
public:
    EglFence() noexcept = default;
    // Inserts a fence into the current context's command stream and flushes,
    // so it signals without another GL call. Without EGL_KHR_fence_sync it is
    // empty and the caller falls back to glFinish() (fence_or_finish()).
    [[nodiscard]] static EglFence create(const EglDisplay& display);
    // A fence if the display has them, else glFinish() and an empty fence
    // (already "signalled").
    [[nodiscard]] static EglFence fence_or_finish(const EglDisplay& display);
    ~EglFence() { reset(); }
    EglFence(const EglFence&) = delete;
    EglFence& operator=(const EglFence&) = delete;
    EglFence(EglFence&& o) noexcept
        : display_(std::exchange(o.display_, nullptr)), sync_(std::exchange(o.sync_, EGL_NO_SYNC_KHR)) {}
    EglFence& operator=(EglFence&& o) noexcept {
        if (this != &o) {
            reset();
            display_ = std::exchange(o.display_, nullptr);
            sync_ = std::exchange(o.sync_, EGL_NO_SYNC_KHR);
        }
        return *this;
    }

    // Empty fences count as signalled.
    [[nodiscard]] bool signaled() const { return wait(0); }
    // Waits up to timeout_ns (EGL_FOREVER_KHR); true once signalled (or on error,
    // so a broken fence can never hold a guest buffer forever).
    bool wait(EGLTimeKHR timeout_ns) const;
    explicit operator bool() const noexcept { return sync_ != EGL_NO_SYNC_KHR; }
    void reset() noexcept;

private:
    const EglDisplay* display_ = nullptr;
    EGLSyncKHR sync_ = EGL_NO_SYNC_KHR;
};

} // namespace vdmabuf::viewer
