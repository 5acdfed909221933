// The GBM path: where the guest has a DRM render node, output buffers could be GBM
// buffer objects (GPU-renderable) exported to the host as dma-bufs through the kernel
// frontend (/dev/virtio-vdmabuf). Selected at run time by probing; it needs the
// kernel frontend, which does not exist yet, so today the probe always explains why
// it falls back to guest-memory buffers (GuestAllocator).
#pragma once

#include "wlr/wlr.hpp"

#include <memory>
#include <string>

namespace vdmabuf::compositor {

struct GbmProbe {
    bool usable = false;
    std::string render_node; // the first /dev/dri/renderD* that opened, if any
    std::string reason;      // why not usable
};

// Looks for a render node and checks the device path is the kernel frontend.
[[nodiscard]] GbmProbe probe_gbm(const std::string& device_path);
// Logs the probe's outcome once (INFO).
void log_gbm_probe(const std::string& device_path);

// A wlr_allocator of LINEAR GBM buffers with WLR_BUFFER_CAP_DMABUF. nullptr when
// built without gbm or when the render node cannot be used.
class GbmAllocator {
public:
    [[nodiscard]] static std::unique_ptr<GbmAllocator> create(const std::string& render_node);
    virtual ~GbmAllocator() = default;
    [[nodiscard]] virtual wlr_allocator* base() = 0;

protected:
    GbmAllocator() = default;
};

} // namespace vdmabuf::compositor
