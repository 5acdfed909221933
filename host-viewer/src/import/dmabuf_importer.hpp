// The zero-copy import path: EGL_EXT_image_dma_buf_import(_modifiers). One
// EGLImage + texture per buffer ID, made on first use and destroyed on
// BUFFER_GONE. Per frame nothing is copied: the texture samples guest memory.
#pragma once

#include "egl/context.hpp"
#include "egl/gl_handles.hpp"
#include "egl/image.hpp"
#include "import/buffer_key.hpp"

#include <vdmabuf/consumer/events.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vdmabuf::viewer {

class DmabufImporter {
public:
    explicit DmabufImporter(const EglContext& ctx);
    ~DmabufImporter();
    DmabufImporter(const DmabufImporter&) = delete;
    DmabufImporter& operator=(const DmabufImporter&) = delete;

    // Empty when the path can work on this display; else why not, e.g.
    // "EGL_EXT_image_dma_buf_import is missing".
    [[nodiscard]] const std::string& unavailable() const noexcept { return unavailable_; }
    // Empty if this buffer can be imported (format/modifier advertised), else why not.
    [[nodiscard]] std::string check(const consumer::BufferInfo& info) const;
    // The buffer's texture, importing dmabuf_fd (borrowed) on first use. 0 on
    // failure, with the EGL error in *why.
    [[nodiscard]] GLuint texture(const consumer::BufferInfo& info, int dmabuf_fd, std::string* why);
    // The texture made for id, or 0; never imports.
    [[nodiscard]] GLuint cached(const vdmabuf_id& id) const;
    void forget(const vdmabuf_id& id);
    void clear();

private:
    struct Entry {
        EglImage image;
        GlTexture texture; // declared after image: deleted first
    };
    const EglContext& ctx_;
    std::string unavailable_;
    bool modifiers_ = false;
    std::vector<EGLint> formats_;
    std::map<BufferKey, Entry> cache_;
};

} // namespace vdmabuf::viewer
