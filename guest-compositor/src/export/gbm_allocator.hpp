// The GL path's output buffers: GBM buffer objects from wlroots' own GBM allocator
// (wlr_gbm_allocator_create) on a DRM primary node, always LINEAR (the only layout
// the device exports, device spec §6.2) whatever modifiers the renderer would allow,
// each with a GbmBuffer that EXPORTs its dma-buf through the kernel device. As with
// GuestAllocator, buffers belong to the device session current at allocation (a
// reconnect reallocates them), and none are made while the device is away.
#pragma once

#include "export/device_link.hpp"
#include "export/exporter.hpp"
#include "wlr/handles.hpp"

#include <memory>
#include <string>

namespace vdmabuf::compositor {

class GbmAllocator {
public:
    // Opens `drm_node` again for wlroots' allocator (which owns that fd: its own open
    // file, so its GEM handles are apart from the renderer's). nullptr with `reason`.
    [[nodiscard]] static std::unique_ptr<GbmAllocator>
    create(const std::string& drm_node, DeviceLink& link, Exporter& exporter, std::string& reason);
    ~GbmAllocator();
    GbmAllocator(const GbmAllocator&) = delete;
    GbmAllocator& operator=(const GbmAllocator&) = delete;

    [[nodiscard]] wlr_allocator* base() { return &hook_.base; }
    // wlroots' GBM allocator itself: buffers with no export side (a probe's).
    [[nodiscard]] wlr_allocator* gbm() { return gbm_.get(); }
    [[nodiscard]] uint64_t buffers_created() const { return created_; }

private:
    GbmAllocator(WlrAllocator gbm, DeviceLink& link, Exporter& exporter);
    static wlr_buffer* handle_create(wlr_allocator* alloc, int width, int height,
                                     const wlr_drm_format* format);
    static void handle_destroy(wlr_allocator* alloc);
    static const wlr_allocator_interface impl_;

    struct Hook {
        wlr_allocator base;
        GbmAllocator* self;
    };
    Hook hook_{};
    WlrAllocator gbm_;
    wlr_drm_format_set linear_{}; // every format asked for, with the LINEAR modifier only
    DeviceLink& link_;
    Exporter& exporter_;
    uint64_t created_ = 0;
};

} // namespace vdmabuf::compositor
