#define VDM_LOG_SCOPE "gl"
#include "egl/framebuffer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <drm_fourcc.h>
#include <utility>

namespace vdmabuf::viewer {

std::unique_ptr<Framebuffer> Framebuffer::create(uint32_t width, uint32_t height) {
    auto fb = std::make_unique<Framebuffer>();
    fb->width_ = width;
    fb->height_ = height;
    fb->color_ = make_texture();
    glBindTexture(GL_TEXTURE_2D, fb->color_.get());
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, GLsizei(width), GLsizei(height), 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, nullptr);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    GLuint fbo = 0;
    glGenFramebuffers(1, &fbo);
    fb->fbo_ = GlFramebuffer(fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
                           fb->color_.get(), 0);
    GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        VDM_ERROR("framebuffer %ux%u incomplete: 0x%x", width, height, status);
        return nullptr;
    }
    return fb;
}

void Framebuffer::bind() const {
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_.get());
}

Image Framebuffer::read(const EglContext& ctx) const {
    Image img;
    img.width = width_;
    img.height = height_;
    img.stride = width_ * 4;
    img.fourcc = DRM_FORMAT_ARGB8888;
    img.pixels.resize(size_t(img.stride) * height_);
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    if (ctx.has_gl("GL_EXT_read_format_bgra")) {
        glReadPixels(0, 0, GLsizei(width_), GLsizei(height_), GL_BGRA_EXT, GL_UNSIGNED_BYTE,
                     img.pixels.data());
        return img;
    }
    glReadPixels(0, 0, GLsizei(width_), GLsizei(height_), GL_RGBA, GL_UNSIGNED_BYTE,
                 img.pixels.data());
    for (size_t i = 0; i < img.pixels.size(); i += 4)
        std::swap(img.pixels[i], img.pixels[i + 2]); // RGBA bytes -> BGRA bytes
    return img;
}

} // namespace vdmabuf::viewer
