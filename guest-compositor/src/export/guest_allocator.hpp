// A wlr_allocator whose buffers live in guest memory (GuestBuffer), handed to
// wlr_output_init_render so that each output's swapchain renders straight into
// pages the host can import. Buffers come from the device session current at
// allocation time; while the device is away there is none, and allocation fails
// (the output skips the frame).
#pragma once

#include "export/device_link.hpp"
#include "export/exporter.hpp"
#include "wlr/wlr.hpp"

namespace vdmabuf::compositor {

class GuestAllocator {
public:
    GuestAllocator(DeviceLink& link, Exporter& exporter);
    ~GuestAllocator();
    GuestAllocator(const GuestAllocator&) = delete;
    GuestAllocator& operator=(const GuestAllocator&) = delete;

    [[nodiscard]] wlr_allocator* base() { return &hook_.base; }
    [[nodiscard]] uint64_t buffers_created() const { return created_; }

private:
    static wlr_buffer* handle_create(wlr_allocator* alloc, int width, int height,
                                     const wlr_drm_format* format);
    static void handle_destroy(wlr_allocator* alloc);
    static const wlr_allocator_interface impl_;

    struct Hook {
        wlr_allocator base;
        GuestAllocator* self;
    };
    Hook hook_{};
    DeviceLink& link_;
    Exporter& exporter_;
    uint64_t created_ = 0;
};

} // namespace vdmabuf::compositor
