#define VDM_LOG_SCOPE "gbm"
#include "export/gbm_allocator.hpp"

#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if VDM_HAVE_GBM
#include <drm_fourcc.h>
#include <gbm.h>
#endif

namespace vdmabuf::compositor {

namespace {

std::string find_render_node() {
    DIR* dir = ::opendir("/dev/dri");
    if (!dir)
        return {};
    std::string found;
    while (dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name.rfind("renderD", 0) != 0)
            continue;
        const std::string path = "/dev/dri/" + name;
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (fd) {
            found = path;
            break;
        }
    }
    ::closedir(dir);
    return found;
}

} // namespace

GbmProbe probe_gbm(const std::string& device_path) {
    GbmProbe probe;
#if !VDM_HAVE_GBM
    probe.reason = "built without gbm";
    return probe;
#else
    probe.render_node = find_render_node();
    if (probe.render_node.empty()) {
        probe.reason = "no DRM render node (/dev/dri/renderD*)";
        return probe;
    }
    struct stat st{};
    if (::stat(device_path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
        probe.reason = "GBM path needs /dev/virtio-vdmabuf (kernel frontend); device is " +
                       device_path;
        return probe;
    }
    // libvdmabuf-guest cannot export dma-bufs yet (its kernel backend is a stub).
    probe.reason = "GBM path needs /dev/virtio-vdmabuf dma-buf export, not implemented yet";
    return probe;
#endif
}

void log_gbm_probe(const std::string& device_path) {
    const GbmProbe probe = probe_gbm(device_path);
    if (probe.usable)
        VDM_INFO("allocator: GBM on %s", probe.render_node.c_str());
    else
        VDM_INFO("allocator: guest memory (GBM not used: %s)", probe.reason.c_str());
}

#if VDM_HAVE_GBM

namespace {

using GbmDevice = CHandle<gbm_device, &gbm_device_destroy>;
using GbmBo = CHandle<gbm_bo, &gbm_bo_destroy>;

// A GBM buffer object as a dma-buf wlr_buffer (one plane, LINEAR).
struct GbmBuffer {
    wlr_buffer base;
    GbmBo bo;
    UniqueFd fd;
    uint32_t format;
    uint32_t stride;

    static GbmBuffer* from(wlr_buffer* b) {
        GbmBuffer* self = wl_container_of(b, self, base);
        return self;
    }
    static void destroy(wlr_buffer* b) { delete from(b); }
    static bool get_dmabuf(wlr_buffer* b, wlr_dmabuf_attributes* attribs) {
        GbmBuffer* self = from(b);
        *attribs = wlr_dmabuf_attributes{};
        attribs->width = b->width;
        attribs->height = b->height;
        attribs->format = self->format;
        attribs->modifier = DRM_FORMAT_MOD_LINEAR;
        attribs->n_planes = 1;
        attribs->offset[0] = 0;
        attribs->stride[0] = self->stride;
        attribs->fd[0] = self->fd.get(); // borrowed, as wlroots expects
        return true;
    }
    static constexpr wlr_buffer_impl impl = {
        .destroy = &GbmBuffer::destroy,
        .get_dmabuf = &GbmBuffer::get_dmabuf,
        .get_shm = nullptr,
        .begin_data_ptr_access = nullptr,
        .end_data_ptr_access = nullptr,
    };
};

class GbmAllocatorImpl final : public GbmAllocator {
public:
    GbmAllocatorImpl(UniqueFd fd, GbmDevice device)
        : fd_(std::move(fd)), device_(std::move(device)) {
        hook_.self = this;
        wlr_allocator_init(&hook_.base, &impl_, WLR_BUFFER_CAP_DMABUF);
    }
    // The gbm_bo objects are destroyed with their buffers, before the device; the
    // device before the fd (gbm_create_device does not own it).
    ~GbmAllocatorImpl() override { wl_signal_emit(&hook_.base.events.destroy, &hook_.base); }
    wlr_allocator* base() override { return &hook_.base; }

private:
    static wlr_buffer* create(wlr_allocator* alloc, int width, int height,
                              const wlr_drm_format* format) {
        Hook* hook = wl_container_of(alloc, hook, base);
        const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
        GbmBo bo(gbm_bo_create_with_modifiers(hook->self->device_.get(),
                                              static_cast<uint32_t>(width),
                                              static_cast<uint32_t>(height), format->format,
                                              &linear, 1));
        if (!bo) {
            VDM_ERRNO("gbm_bo_create_with_modifiers %dx%d", width, height);
            return nullptr;
        }
        UniqueFd fd(gbm_bo_get_fd(bo.get()));
        if (!fd) {
            VDM_ERRNO("gbm_bo_get_fd");
            return nullptr;
        }
        auto* buffer = new GbmBuffer{};
        buffer->bo = std::move(bo);
        buffer->fd = std::move(fd);
        buffer->format = format->format;
        buffer->stride = gbm_bo_get_stride(buffer->bo.get());
        wlr_buffer_init(&buffer->base, &GbmBuffer::impl, width, height);
        return &buffer->base;
    }
    static void destroy(wlr_allocator* /*alloc*/) {}
    static constexpr wlr_allocator_interface impl_ = {
        .create_buffer = &GbmAllocatorImpl::create,
        .destroy = &GbmAllocatorImpl::destroy,
    };

    struct Hook {
        wlr_allocator base;
        GbmAllocatorImpl* self;
    };
    UniqueFd fd_;
    GbmDevice device_;
    Hook hook_{};
};

} // namespace

std::unique_ptr<GbmAllocator> GbmAllocator::create(const std::string& render_node) {
    UniqueFd fd(::open(render_node.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) {
        VDM_ERRNO("open %s", render_node.c_str());
        return nullptr;
    }
    GbmDevice device(gbm_create_device(fd.get()));
    if (!device) {
        VDM_ERROR("gbm_create_device on %s failed", render_node.c_str());
        return nullptr;
    }
    return std::make_unique<GbmAllocatorImpl>(std::move(fd), std::move(device));
}

#else

std::unique_ptr<GbmAllocator> GbmAllocator::create(const std::string& /*render_node*/) {
    return nullptr;
}

#endif

} // namespace vdmabuf::compositor
