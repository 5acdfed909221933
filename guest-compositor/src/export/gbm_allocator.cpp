#define VDM_LOG_SCOPE "gbm"
#include "export/gbm_allocator.hpp"

#include "export/gbm_buffer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>

namespace vdmabuf::compositor {

namespace {
constexpr uint64_t kModifierLinear = 0; // DRM_FORMAT_MOD_LINEAR
} // namespace

const wlr_allocator_interface GbmAllocator::impl_ = {
    .create_buffer = &GbmAllocator::handle_create,
    .destroy = &GbmAllocator::handle_destroy,
};

std::unique_ptr<GbmAllocator> GbmAllocator::create(const std::string& drm_node, DeviceLink& link,
                                                   Exporter& exporter, std::string& reason) {
#if !VDM_HAVE_GL
    (void)link;
    (void)exporter;
    reason = drm_node + ": built without GBM";
    return nullptr;
#else
    UniqueFd fd(::open(drm_node.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) {
        reason = drm_node + ": open: " + std::strerror(errno);
        return nullptr;
    }
    // wlroots closes the fd with the allocator, and not when creating it fails.
    WlrAllocator gbm(wlr_gbm_allocator_create(fd.get()));
    if (!gbm) {
        reason = drm_node + ": wlr_gbm_allocator_create failed (no PRIME export, or no GBM)";
        return nullptr;
    }
    (void)fd.release();
    return std::unique_ptr<GbmAllocator>(new GbmAllocator(std::move(gbm), link, exporter));
#endif
}

GbmAllocator::GbmAllocator(WlrAllocator gbm, DeviceLink& link, Exporter& exporter)
    : gbm_(std::move(gbm)), link_(link), exporter_(exporter) {
    hook_.self = this;
    wlr_allocator_init(&hook_.base, &impl_, WLR_BUFFER_CAP_DMABUF);
}

GbmAllocator::~GbmAllocator() {
    // Outputs let go of it first; then wlroots' allocator goes (buffers still alive
    // keep their dma-buf fds, which is all export needs).
    wl_signal_emit(&hook_.base.events.destroy, &hook_.base);
    wlr_drm_format_set_finish(&linear_);
}

void GbmAllocator::handle_destroy(wlr_allocator* /*alloc*/) {}

wlr_buffer* GbmAllocator::handle_create(wlr_allocator* alloc, int width, int height,
                                        const wlr_drm_format* format) {
    Hook* hook = wl_container_of(alloc, hook, base);
    GbmAllocator* self = hook->self;
    if (!self->link_.device()) {
        VDM_DEBUG("no device: cannot allocate a %dx%d buffer now", width, height);
        return nullptr;
    }
    // The swapchain asks for what the renderer can draw into (maybe tiled or
    // compressed layouts); the host can only read LINEAR.
    if (!wlr_drm_format_set_has(&self->linear_, format->format, kModifierLinear) &&
        !wlr_drm_format_set_add(&self->linear_, format->format, kModifierLinear))
        return nullptr;
    const wlr_drm_format* linear = wlr_drm_format_set_get(&self->linear_, format->format);
    wlr_buffer* buffer = wlr_allocator_create_buffer(self->gbm_.get(), width, height, linear);
    if (!buffer) {
        VDM_ERROR("GBM allocation of a LINEAR %dx%d %s buffer failed", width, height,
                  format_name(format->format).c_str());
        return nullptr;
    }
    Exporter* exporter = &self->exporter_;
    if (!GbmBuffer::attach_to(buffer, self->link_.generation(),
                              [exporter](ExportBuffer& b) { exporter->retire(b); })) {
        wlr_buffer_drop(buffer);
        return nullptr;
    }
    ++self->created_;
    VDM_DEBUG("swapchain GBM buffer %llu: %dx%d", static_cast<unsigned long long>(self->created_),
              width, height);
    return buffer;
}

} // namespace vdmabuf::compositor
