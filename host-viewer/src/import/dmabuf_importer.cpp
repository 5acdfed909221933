#define VDM_LOG_SCOPE "dmabuf"
#include "import/dmabuf_importer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <drm_fourcc.h>

namespace vdmabuf::viewer {

DmabufImporter::DmabufImporter(const EglContext& ctx) : ctx_(ctx) {
    const EglDisplay& d = ctx.display();
    if (!d.has("EGL_EXT_image_dma_buf_import"))
        unavailable_ = "EGL_EXT_image_dma_buf_import is missing on this EGL display";
    else if (!d.procs().create_image)
        unavailable_ = "EGL_KHR_image_base is missing";
    else if (!ctx.gl_procs().image_target_texture_2d || !ctx.has_gl("GL_OES_EGL_image"))
        unavailable_ = "GL_OES_EGL_image is missing";
    if (!unavailable_.empty())
        return;
    modifiers_ = d.has("EGL_EXT_image_dma_buf_import_modifiers") && d.procs().query_dmabuf_formats;
    if (modifiers_) {
        EGLint n = 0;
        d.procs().query_dmabuf_formats(d.get(), 0, nullptr, &n);
        formats_.resize(size_t(std::max(n, 0)));
        d.procs().query_dmabuf_formats(d.get(), n, formats_.data(), &n);
        formats_.resize(size_t(std::max(n, 0)));
    }
}

DmabufImporter::~DmabufImporter() = default;

std::string DmabufImporter::check(const consumer::BufferInfo& info) const {
    if (!unavailable_.empty())
        return unavailable_;
    if (modifiers_ &&
        std::find(formats_.begin(), formats_.end(), EGLint(info.fourcc)) == formats_.end())
        return "format " + format_name(info.fourcc) + " not in eglQueryDmaBufFormatsEXT";
    if (!modifiers_ && info.modifier != DRM_FORMAT_MOD_LINEAR &&
        info.modifier != DRM_FORMAT_MOD_INVALID)
        return "modifier needs EGL_EXT_image_dma_buf_import_modifiers";
    return {};
}

GLuint DmabufImporter::texture(const consumer::BufferInfo& info, int dmabuf_fd, std::string* why) {
    BufferKey key(info.id);
    if (auto it = cache_.find(key); it != cache_.end())
        return it->second.texture.get();
    // Every plane lives in the one udmabuf at its own offset (vdmabuf-consumer.md §4).
    static const EGLint kFd[] = {EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE1_FD_EXT,
                                 EGL_DMA_BUF_PLANE2_FD_EXT, EGL_DMA_BUF_PLANE3_FD_EXT};
    static const EGLint kOffset[] = {EGL_DMA_BUF_PLANE0_OFFSET_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT,
                                     EGL_DMA_BUF_PLANE2_OFFSET_EXT, EGL_DMA_BUF_PLANE3_OFFSET_EXT};
    static const EGLint kPitch[] = {EGL_DMA_BUF_PLANE0_PITCH_EXT, EGL_DMA_BUF_PLANE1_PITCH_EXT,
                                    EGL_DMA_BUF_PLANE2_PITCH_EXT, EGL_DMA_BUF_PLANE3_PITCH_EXT};
    static const EGLint kModLo[] = {
        EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT,
        EGL_DMA_BUF_PLANE2_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_LO_EXT};
    static const EGLint kModHi[] = {
        EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT,
        EGL_DMA_BUF_PLANE2_MODIFIER_HI_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_HI_EXT};
    std::vector<EGLint> a = {EGL_WIDTH, EGLint(info.width), EGL_HEIGHT, EGLint(info.height),
                             EGL_LINUX_DRM_FOURCC_EXT, EGLint(info.fourcc)};
    uint32_t planes = std::clamp<uint32_t>(info.n_planes, 1, 4);
    for (uint32_t i = 0; i < planes; ++i) {
        a.insert(a.end(), {kFd[i], dmabuf_fd, kOffset[i], EGLint(info.planes[i].offset), kPitch[i],
                           EGLint(info.planes[i].stride)});
        if (modifiers_ && info.modifier != DRM_FORMAT_MOD_INVALID)
            a.insert(a.end(), {kModLo[i], EGLint(info.modifier & 0xffffffffu), kModHi[i],
                               EGLint(info.modifier >> 32)});
    }
    a.insert(a.end(), {EGL_IMAGE_PRESERVED_KHR, EGL_TRUE, EGL_NONE});
    const EglDisplay& d = ctx_.display();
    EGLImageKHR img =
        d.procs().create_image(d.get(), EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, nullptr, a.data());
    if (img == EGL_NO_IMAGE_KHR) {
        if (why)
            *why = std::string("eglCreateImageKHR(EGL_LINUX_DMA_BUF_EXT) failed: ") +
                   egl_error_name(eglGetError());
        return 0;
    }
    Entry e{EglImage(d, img), make_texture()};
    glBindTexture(GL_TEXTURE_2D, e.texture.get());
    ctx_.gl_procs().image_target_texture_2d(GL_TEXTURE_2D, e.image.get());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    if (GLenum err = glGetError(); err != GL_NO_ERROR) {
        if (why)
            *why = "glEGLImageTargetTexture2DOES failed: GL error " + std::to_string(err);
        return 0;
    }
    GLuint tex = e.texture.get();
    cache_.emplace(key, std::move(e));
    return tex;
}

GLuint DmabufImporter::cached(const vdmabuf_id& id) const {
    auto it = cache_.find(BufferKey(id));
    return it == cache_.end() ? 0 : it->second.texture.get();
}

void DmabufImporter::forget(const vdmabuf_id& id) {
    cache_.erase(BufferKey(id));
}

void DmabufImporter::clear() {
    cache_.clear();
}

} // namespace vdmabuf::viewer
