// One wl_shm XRGB8888 (or ARGB8888) buffer in its own memfd, with the busy flag that
// wl_buffer.release clears.
#pragma once

#include <cstdint>
#include <memory>

#include <wayland-client.h>

#include <vdmabuf/shared/c_handle.hpp>

namespace vdmabuf::testclient {

class ShmBuffer {
public:
    // nullptr (logged) when the memfd, the mapping or the pool cannot be made.
    [[nodiscard]] static std::unique_ptr<ShmBuffer>
    create(wl_shm* shm, uint32_t width, uint32_t height,
           uint32_t format = WL_SHM_FORMAT_XRGB8888);
    ~ShmBuffer();
    ShmBuffer(const ShmBuffer&) = delete;
    ShmBuffer& operator=(const ShmBuffer&) = delete;

    [[nodiscard]] wl_buffer* buffer() const { return buffer_; }
    [[nodiscard]] uint8_t* pixels() const;
    [[nodiscard]] uint32_t stride() const { return stride_; }

    bool busy = false;  // attached and not yet released by the compositor
    bool drawn = false; // holds a complete picture of some frame
    uint32_t frame = 0; // which one

private:
    ShmBuffer() = default;
    Mapping mapping_;
    wl_buffer* buffer_ = nullptr;
    uint32_t stride_ = 0;
};

} // namespace vdmabuf::testclient
