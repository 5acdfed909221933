#define VDM_LOG_SCOPE "allocator"
#include "export/guest_allocator.hpp"

#include "export/guest_buffer.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::compositor {

const wlr_allocator_interface GuestAllocator::impl_ = {
    .create_buffer = &GuestAllocator::handle_create,
    .destroy = &GuestAllocator::handle_destroy,
};

GuestAllocator::GuestAllocator(DeviceLink& link, Exporter& exporter)
    : link_(link), exporter_(exporter) {
    hook_.self = this;
    wlr_allocator_init(&hook_.base, &impl_, WLR_BUFFER_CAP_DATA_PTR);
}

GuestAllocator::~GuestAllocator() {
    // Tell users (outputs) it is gone; the memory is ours, so destroy does nothing.
    wl_signal_emit(&hook_.base.events.destroy, &hook_.base);
}

void GuestAllocator::handle_destroy(wlr_allocator* /*alloc*/) {}

wlr_buffer* GuestAllocator::handle_create(wlr_allocator* alloc, int width, int height,
                                          const wlr_drm_format* format) {
    Hook* hook = wl_container_of(alloc, hook, base);
    GuestAllocator* self = hook->self;
    frontend::Device* device = self->link_.device();
    if (!device) {
        VDM_DEBUG("no device: cannot allocate a %dx%d buffer now", width, height);
        return nullptr;
    }
    // Modifiers: guest memory is LINEAR (the only layout the device accepts, §6.2).
    Exporter* exporter = &self->exporter_;
    GuestBuffer* buffer = GuestBuffer::create(
        *device, self->link_.generation(), width, height, format->format,
        [exporter](ExportBuffer& b) { exporter->retire(b); });
    if (!buffer)
        return nullptr;
    ++self->created_;
    VDM_DEBUG("swapchain buffer %llu: %dx%d", static_cast<unsigned long long>(self->created_),
              width, height);
    return buffer->base();
}

} // namespace vdmabuf::compositor
