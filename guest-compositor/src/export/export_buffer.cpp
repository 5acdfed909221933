#include "export/export_buffer.hpp"

namespace vdmabuf::compositor {

const wlr_addon_interface ExportBuffer::addon_impl_ = {
    .name = "vdmabuf-export-buffer",
    .destroy = &ExportBuffer::handle_addon_destroy,
};

ExportBuffer::ExportBuffer(uint64_t generation, const frontend::BufferDesc& desc,
                           RetireFn on_retire)
    : generation_(generation), desc_(desc), on_retire_(std::move(on_retire)) {
    hook_.self = this;
}

ExportBuffer::~ExportBuffer() = default;

void ExportBuffer::attach(wlr_buffer* buffer) {
    base_ = buffer;
    // One owner for every kind: from_wlr() does not need to know which it is.
    wlr_addon_init(&hook_.addon, &buffer->addons, &addon_impl_, &addon_impl_);
}

ExportBuffer* ExportBuffer::from_wlr(wlr_buffer* buffer) {
    if (!buffer)
        return nullptr;
    wlr_addon* addon = wlr_addon_find(&buffer->addons, &addon_impl_, &addon_impl_);
    if (!addon)
        return nullptr;
    Hook* hook = wl_container_of(addon, hook, addon);
    return hook->self;
}

void ExportBuffer::handle_addon_destroy(wlr_addon* addon) {
    // wlroots finishes a buffer's addons when the buffer is destroyed, before its
    // impl's destroy: the pixels (pages, dma-buf fd) are still there.
    Hook* hook = wl_container_of(addon, hook, addon);
    ExportBuffer* self = hook->self;
    wlr_addon_finish(addon);
    if (self->on_retire_)
        self->on_retire_(*self);
    self->detached(); // may delete self
}

} // namespace vdmabuf::compositor
