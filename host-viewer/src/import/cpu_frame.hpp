// The headless copy path: the guest frame kept in host memory and updated
// from the buffer's read-only mapping by copying only the damaged rectangles.
// When no window shows the frame (headless), the pixels are readable once the
// copy returns: no GL upload, no draw of the whole frame, no readback. A
// screenshot writes this image directly.
#pragma once

#include "present/presenter.hpp"

#include <vdmabuf/consumer/events.hpp>
#include <vdmabuf/shared/png.hpp>

#include <cstdint>
#include <span>

namespace vdmabuf::viewer {

class CpuFrame {
public:
    // The formats an Image (and write_png) takes as they are: XRGB/ARGB8888.
    [[nodiscard]] static bool supports(uint32_t fourcc);
    // Copies damage (empty: the whole buffer) from the mapping `base` (size
    // bytes) laid out as `info`. The whole frame is copied instead when the
    // image is new, resized or invalidated. Returns the bytes copied, or -1
    // (logged) when the format is not supported or the layout does not fit.
    [[nodiscard]] int64_t update(const consumer::BufferInfo& info, const uint8_t* base,
                                 uint64_t size, std::span<const vdmabuf_rect> damage);
    // The next update copies the whole frame (a reconnect: new buffers,
    // unknown damage).
    void invalidate() noexcept { full_next_ = true; }
    // Keeps a picture read back from GL (the last zero-copy frame, whose
    // import is going away); the next update copies the whole frame.
    void adopt(Image image) noexcept {
        image_ = std::move(image);
        full_next_ = true;
    }
    [[nodiscard]] bool empty() const noexcept { return image_.pixels.empty(); }
    [[nodiscard]] const Image& image() const noexcept { return image_; }

private:
    Image image_;
    bool full_next_ = true;
};

// Blends the guest's cursor (premultiplied ARGB, hotspot at x, y) over an
// XRGB/ARGB image, clipped to it: what the GL renderer's overlay does
// (ONE, ONE_MINUS_SRC_ALPHA), for a screenshot of an in-memory frame.
void blend_cursor(Image& image, const CursorPixels& cursor, int32_t x, int32_t y);

} // namespace vdmabuf::viewer
