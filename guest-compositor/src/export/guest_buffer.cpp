#define VDM_LOG_SCOPE "buffer"
#include "export/guest_buffer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::compositor {

const wlr_buffer_impl GuestBuffer::impl_ = {
    .destroy = &GuestBuffer::handle_destroy,
    .get_dmabuf = nullptr,
    .get_shm = nullptr,
    .begin_data_ptr_access = &GuestBuffer::handle_begin_access,
    .end_data_ptr_access = &GuestBuffer::handle_end_access,
};

GuestBuffer::GuestBuffer(std::unique_ptr<frontend::Allocation> allocation, uint64_t generation,
                         const frontend::BufferDesc& desc, RetireFn on_retire)
    : ExportBuffer(generation, desc, std::move(on_retire)), allocation_(std::move(allocation)) {
    hook_.self = this;
    wlr_buffer_init(&hook_.base, &impl_, static_cast<int>(desc.width),
                    static_cast<int>(desc.height));
    attach(&hook_.base);
}

GuestBuffer* GuestBuffer::create(frontend::Device& device, uint64_t generation, int width,
                                 int height, uint32_t fourcc, RetireFn on_retire) {
    const FormatInfo* info = format_info(fourcc);
    if (!info || info->num_planes != 1 || info->pixman_format == 0 || width <= 0 || height <= 0) {
        VDM_ERROR("cannot allocate %dx%d %s: not a single-plane pixman format", width, height,
                  format_name(fourcc).c_str());
        return nullptr;
    }
    // 64-byte row alignment: what pixman and most consumers like best.
    const uint64_t stride = (min_stride(*info, 0, static_cast<uint32_t>(width)) + 63) & ~63ull;
    const uint64_t size = stride * static_cast<uint64_t>(height);
    auto allocation = device.allocate(size);
    if (!allocation) {
        VDM_ERRNO("guest memory allocation of %llu bytes (%dx%d) failed",
                  static_cast<unsigned long long>(size), width, height);
        return nullptr;
    }
    frontend::BufferDesc desc;
    desc.fourcc = fourcc;
    desc.width = static_cast<uint32_t>(width);
    desc.height = static_cast<uint32_t>(height);
    desc.modifier = 0; // DRM_FORMAT_MOD_LINEAR
    desc.n_planes = 1;
    desc.planes[0].offset = 0;
    desc.planes[0].stride = static_cast<uint32_t>(stride);
    VDM_DEBUG("allocated %dx%d %s, %llu bytes in %zu extent(s)", width, height, info->name,
              static_cast<unsigned long long>(allocation->size()), allocation->extents().size());
    return new GuestBuffer(std::move(allocation), generation, desc, std::move(on_retire));
}

GuestBuffer* GuestBuffer::from_own(wlr_buffer* buffer) {
    Hook* hook = wl_container_of(buffer, hook, base);
    return hook->self;
}

bool GuestBuffer::export_to(frontend::Device& device, vdmabuf_id& out_id, uint64_t* tag) {
    if (!allocation_) {
        errno = EINVAL; // retired
        return false;
    }
    return device.export_buffer(*allocation_, desc(), out_id, tag);
}

void GuestBuffer::handle_destroy(wlr_buffer* buffer) {
    // The export addon has retired it by now (wlroots finishes addons first).
    delete from_own(buffer);
}

bool GuestBuffer::handle_begin_access(wlr_buffer* buffer, uint32_t /*flags*/, void** data,
                                      uint32_t* format, size_t* stride) {
    GuestBuffer* self = from_own(buffer);
    if (!self->allocation_)
        return false;
    *data = self->allocation_->data();
    *format = self->desc().fourcc;
    *stride = self->desc().planes[0].stride;
    return true;
}

void GuestBuffer::handle_end_access(wlr_buffer* /*buffer*/) {}

} // namespace vdmabuf::compositor
