#define VDM_LOG_SCOPE "copy"
#include "import/copy_importer.hpp"
#include "import/mapping_check.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

#include <algorithm>

namespace vdmabuf::viewer {

bool CopyImporter::supports(uint32_t fourcc) {
    const FormatInfo* f = format_info(fourcc);
    return f && f->num_planes == 1 && f->gl_format && f->gl_type;
}

int64_t CopyImporter::upload(const consumer::BufferInfo& info, const uint8_t* base, uint64_t size,
                             std::span<const vdmabuf_rect> damage) {
    const FormatInfo* f = format_info(info.fourcc);
    if (!f || !supports(info.fourcc) || !plane0_fits(*f, info, size))
        return -1;
    glActiveTexture(GL_TEXTURE0);
    if (!texture_ || width_ != info.width || height_ != info.height || gl_format_ != f->gl_format ||
        gl_type_ != f->gl_type) {
        texture_ = make_texture();
        glBindTexture(GL_TEXTURE_2D, texture_.get());
        // GL_BGRA_EXT textures take the same internal format as their format.
        glTexImage2D(GL_TEXTURE_2D, 0, GLint(f->gl_format), GLsizei(info.width),
                     GLsizei(info.height), 0, f->gl_format, f->gl_type, nullptr);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        width_ = info.width;
        height_ = info.height;
        gl_format_ = f->gl_format;
        gl_type_ = f->gl_type;
        full_next_ = true;
    }
    glBindTexture(GL_TEXTURE_2D, texture_.get());
    const uint8_t* plane = base + info.planes[0].offset;
    uint32_t stride = info.planes[0].stride, bpp = f->bpp[0];
    int64_t bytes = 0;
    if (full_next_ || damage.empty()) {
        upload_rect(plane, stride, bpp, 0, 0, width_, height_);
        bytes = int64_t(width_) * height_ * bpp;
        full_next_ = false;
        return bytes;
    }
    for (const vdmabuf_rect& r : damage) {
        // Clamp: damage comes from the guest.
        uint32_t x = std::min(r.x, width_), y = std::min(r.y, height_);
        uint32_t w = std::min(r.width, width_ - x), h = std::min(r.height, height_ - y);
        if (!w || !h)
            continue;
        upload_rect(plane, stride, bpp, x, y, w, h);
        bytes += int64_t(w) * h * bpp;
    }
    return bytes;
}

void CopyImporter::upload_rect(const uint8_t* plane, uint32_t stride, uint32_t bpp, uint32_t x,
                               uint32_t y, uint32_t w, uint32_t h) {
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (ctx_.has_gl("GL_EXT_unpack_subimage") && stride % bpp == 0) {
        // One call: GL walks the guest's rows itself.
        glPixelStorei(GL_UNPACK_ROW_LENGTH_EXT, GLint(stride / bpp));
        glPixelStorei(GL_UNPACK_SKIP_PIXELS_EXT, GLint(x));
        glPixelStorei(GL_UNPACK_SKIP_ROWS_EXT, GLint(y));
        glTexSubImage2D(GL_TEXTURE_2D, 0, GLint(x), GLint(y), GLsizei(w), GLsizei(h), gl_format_,
                        gl_type_, plane);
        glPixelStorei(GL_UNPACK_ROW_LENGTH_EXT, 0);
        glPixelStorei(GL_UNPACK_SKIP_PIXELS_EXT, 0);
        glPixelStorei(GL_UNPACK_SKIP_ROWS_EXT, 0);
        return;
    }
    // Plain GLES2: one row per call.
    for (uint32_t row = 0; row < h; ++row)
        glTexSubImage2D(GL_TEXTURE_2D, 0, GLint(x), GLint(y + row), GLsizei(w), 1, gl_format_,
                        gl_type_, plane + size_t(y + row) * stride + size_t(x) * bpp);
}

} // namespace vdmabuf::viewer
