#define VDM_LOG_SCOPE "gbm"
#include "export/gbm_buffer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::compositor {

namespace {
// DRM_FORMAT_MOD_LINEAR: the only layout the device takes (device spec §6.2).
constexpr uint64_t kModifierLinear = 0;
} // namespace

bool GbmBuffer::attach_to(wlr_buffer* buffer, uint64_t generation, RetireFn on_retire) {
    wlr_dmabuf_attributes attribs{};
    if (!wlr_buffer_get_dmabuf(buffer, &attribs)) {
        VDM_ERROR("a GBM buffer without a dma-buf");
        return false;
    }
    if (attribs.n_planes != 1 || attribs.modifier != kModifierLinear || attribs.fd[0] < 0) {
        VDM_ERROR("GBM buffer %dx%d %s: %d plane(s), modifier 0x%llx; the device takes one "
                  "LINEAR plane",
                  attribs.width, attribs.height, format_name(attribs.format).c_str(),
                  attribs.n_planes, static_cast<unsigned long long>(attribs.modifier));
        return false;
    }
    frontend::BufferDesc desc;
    desc.fourcc = attribs.format;
    desc.width = static_cast<uint32_t>(attribs.width);
    desc.height = static_cast<uint32_t>(attribs.height);
    desc.modifier = kModifierLinear;
    desc.n_planes = 1;
    desc.planes[0].offset = attribs.offset[0];
    desc.planes[0].stride = attribs.stride[0];
    auto* self = new GbmBuffer(attribs.fd[0], generation, desc, std::move(on_retire));
    self->attach(buffer); // owned by the buffer from here (deleted in detached())
    VDM_DEBUG("GBM buffer %ux%u %s, stride %u, dma-buf fd %d", desc.width, desc.height,
              format_name(desc.fourcc).c_str(), desc.planes[0].stride, attribs.fd[0]);
    return true;
}

bool GbmBuffer::export_to(frontend::Device& device, vdmabuf_id& out_id, uint64_t* tag) {
    if (device.export_dmabuf(fd_, desc(), out_id, tag))
        return true;
    // The probe cannot ask a device that is not open yet whether it takes foreign
    // dma-bufs; a driver before interface version 2 does not. Say what to do, once.
    static bool explained = false;
    if (errno == ENOTSUP && !explained) {
        const int e = errno;
        VDM_ERROR("this device cannot export dma-bufs (a kernel driver before interface "
                  "version 2?): GL frames cannot reach the host; use --renderer pixman");
        explained = true;
        errno = e;
    }
    return false;
}

} // namespace vdmabuf::compositor
