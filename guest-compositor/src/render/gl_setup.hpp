// The GL path (--renderer gl, or auto where it works): wlroots' GLES2 renderer on a
// DRM primary node (/dev/dri/card*) drawing into LINEAR GBM buffers (GbmAllocator)
// that the kernel device exports as dma-bufs.
//
// Why a primary node: wlroots 0.15 makes its GLES2 renderer from a DRM fd, and the
// guests this runs in have kms_swrast (llvmpipe) over vgem or virtio-gpu, which
// allocates dumb buffers; render nodes refuse dumb ioctls (reference/zero-copy-vm.md).
// Why only with the kernel device: a dma-buf's pages are known only to a guest
// kernel; the virtio-user device cannot export one (Device::export_dmabuf).
#pragma once

#include "export/device_link.hpp"
#include "export/exporter.hpp"
#include "export/gbm_allocator.hpp"
#include "options.hpp"
#include "wlr/handles.hpp"

#include <vdmabuf/shared/unique_fd.hpp>

#include <memory>
#include <optional>
#include <string>

namespace vdmabuf::compositor {

struct GlSetup {
    std::string node;
    // Declared before the renderer: wlroots' EGL borrows this fd, so it closes last.
    UniqueFd drm_fd;
    WlrRenderer renderer;
    std::unique_ptr<GbmAllocator> allocator;
};

// Checks, cheapest first: the device is the kernel's, a primary node (--drm-node, else
// each /dev/dri/card* in turn) opens, and on it the renderer and the allocator are
// created and render one test frame into a LINEAR GBM buffer. nullopt with `reason`
// (every check that failed, for one log line or error) when the path cannot work.
[[nodiscard]] std::optional<GlSetup> create_gl(const Options& options, DeviceLink& link,
                                               Exporter& exporter, std::string& reason);

// Waits until the GL renderer's drawing is done (no-op for other renderers).
// llvmpipe attaches no fence to the dma-bufs it draws into and wlroots 0.15
// ends a frame with glFlush, so without this the host may read tiles not yet
// drawn: call it before a GL-rendered buffer is presented.
void finish_gl_rendering(wlr_renderer* renderer);

} // namespace vdmabuf::compositor
