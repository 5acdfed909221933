// The copy import path: one persistent texture per output, updated from the
// buffer's read-only mapping with glTexSubImage2D of the damaged rectangles
// only (GL_EXT_unpack_subimage picks them out of the guest's stride in place).
#pragma once

#include "egl/context.hpp"
#include "egl/gl_handles.hpp"

#include <vdmabuf/consumer/events.hpp>

#include <cstdint>
#include <span>

namespace vdmabuf::viewer {

class CopyImporter {
public:
    explicit CopyImporter(const EglContext& ctx) : ctx_(ctx) {}

    // Whether this path can show the format at all (a GL upload format exists).
    [[nodiscard]] static bool supports(uint32_t fourcc);
    // Uploads damage (empty: the whole buffer) from the mapping `base` (size
    // bytes) laid out as `info`. The whole frame is uploaded instead when the
    // texture is new, resized or refilled. Returns the bytes uploaded, or -1
    // (logged) when the layout does not fit the mapping.
    [[nodiscard]] int64_t upload(const consumer::BufferInfo& info, const uint8_t* base,
                                 uint64_t size, std::span<const vdmabuf_rect> damage);
    // Forces the next upload to be whole (after a reconnect: the texture
    // still shows the old frame, but the new buffers' damage is unknown).
    void invalidate() noexcept { full_next_ = true; }

    [[nodiscard]] GLuint texture() const noexcept { return texture_.get(); }
    [[nodiscard]] uint32_t width() const noexcept { return width_; }
    [[nodiscard]] uint32_t height() const noexcept { return height_; }

private:
    void upload_rect(const uint8_t* plane, uint32_t stride, uint32_t bpp, uint32_t x, uint32_t y,
                     uint32_t w, uint32_t h);

    const EglContext& ctx_;
    GlTexture texture_;
    uint32_t width_ = 0, height_ = 0, gl_format_ = 0, gl_type_ = 0;
    bool full_next_ = true;
};

} // namespace vdmabuf::viewer
