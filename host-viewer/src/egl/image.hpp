// A move-only EGLImage that remembers its display; eglDestroyImageKHR on drop.
// Created only by DmabufImporter from a dma-buf (EGL does not take ownership
// of the fds: the Import that owns them must outlive nothing here, since the
// driver holds its own reference once the image exists).
#pragma once

#include "egl/display.hpp"

#include <utility>

namespace vdmabuf::viewer {

class EglImage {
public:
    EglImage() noexcept = default;
    EglImage(const EglDisplay& display, EGLImageKHR image) noexcept
        : display_(&display), image_(image) {}
    ~EglImage() { reset(); }
    EglImage(const EglImage&) = delete;
    EglImage& operator=(const EglImage&) = delete;
    EglImage(EglImage&& o) noexcept
        : display_(std::exchange(o.display_, nullptr)), image_(std::exchange(o.image_, EGL_NO_IMAGE_KHR)) {}
    EglImage& operator=(EglImage&& o) noexcept {
        if (this != &o) {
            reset();
            display_ = std::exchange(o.display_, nullptr);
            image_ = std::exchange(o.image_, EGL_NO_IMAGE_KHR);
        }
        return *this;
    }
    [[nodiscard]] EGLImageKHR get() const noexcept { return image_; }
    explicit operator bool() const noexcept { return image_ != EGL_NO_IMAGE_KHR; }
    void reset() noexcept {
        if (image_ != EGL_NO_IMAGE_KHR)
            display_->procs().destroy_image(display_->get(), image_);
        image_ = EGL_NO_IMAGE_KHR;
    }

private:
    const EglDisplay* display_ = nullptr;
    EGLImageKHR image_ = EGL_NO_IMAGE_KHR;
};

} // namespace vdmabuf::viewer
