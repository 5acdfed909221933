#define VDM_LOG_SCOPE "gl"
#include "render/gl_setup.hpp"

#include <vdmabuf/frontend/device.hpp>
#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <vector>

#if VDM_HAVE_GL
#include <GLES2/gl2.h>
#endif

namespace vdmabuf::compositor {

namespace {

// /dev/dri/card0, card1, ... in number order.
std::vector<std::string> primary_nodes() {
    std::vector<std::pair<long, std::string>> found;
    if (DIR* dir = ::opendir("/dev/dri")) {
        while (dirent* entry = ::readdir(dir)) {
            const char* name = entry->d_name;
            if (std::strncmp(name, "card", 4) != 0 || name[4] < '0' || name[4] > '9')
                continue;
            found.emplace_back(std::strtol(name + 4, nullptr, 10), std::string("/dev/dri/") + name);
        }
        ::closedir(dir);
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> nodes;
    for (auto& [number, path] : found)
        nodes.push_back(std::move(path));
    return nodes;
}

#if VDM_HAVE_GL

constexpr uint32_t kXrgb8888 = 0x34325258; // DRM_FORMAT_XRGB8888
constexpr uint32_t kAbgr8888 = 0x34324241; // DRM_FORMAT_ABGR8888: what GLES2 always reads
constexpr uint64_t kModifierLinear = 0;

// One frame the way an output renders: a LINEAR XRGB8888 GBM buffer bound as the
// target, cleared and read back (before the device is open: no export side). Catches
// a renderer that comes up but cannot draw into GBM buffers.
bool render_test_frame(wlr_renderer* renderer, wlr_allocator* allocator) {
    wlr_drm_format_set set{};
    wlr_drm_format_set_add(&set, kXrgb8888, kModifierLinear);
    wlr_buffer* buffer =
        wlr_allocator_create_buffer(allocator, 16, 16, wlr_drm_format_set_get(&set, kXrgb8888));
    wlr_drm_format_set_finish(&set);
    if (!buffer)
        return false;
    bool ok = wlr_renderer_begin_with_buffer(renderer, buffer);
    uint32_t pixel = 0;
    if (ok) {
        const float red[4] = {1.0f, 0.0f, 0.0f, 1.0f};
        wlr_renderer_clear(renderer, red);
        ok = wlr_renderer_read_pixels(renderer, kAbgr8888, nullptr, 4, 1, 1, 8, 8, 0, 0, &pixel);
        wlr_renderer_end(renderer);
    }
    wlr_buffer_drop(buffer);
    return ok && pixel == 0xff0000ffu; // R, G, B, A bytes: 255, 0, 0, 255
}

// The whole path on one node, or nullopt with why not.
std::optional<GlSetup> try_node(const std::string& node, DeviceLink& link, Exporter& exporter,
                                std::string& reason) {
    GlSetup gl;
    gl.node = node;
    gl.drm_fd.reset(::open(node.c_str(), O_RDWR | O_CLOEXEC));
    if (!gl.drm_fd) {
        reason = node + ": open: " + std::strerror(errno);
        return std::nullopt;
    }
    gl.renderer.reset(wlr_gles2_renderer_create_with_drm_fd(gl.drm_fd.get()));
    if (!gl.renderer) {
        reason = node + ": wlr_gles2_renderer_create_with_drm_fd failed (wlroots says why)";
        return std::nullopt;
    }
    gl.allocator = GbmAllocator::create(node, link, exporter, reason);
    if (!gl.allocator)
        return std::nullopt;
    if (!render_test_frame(gl.renderer.get(), gl.allocator->gbm())) {
        reason = node + ": a test frame into a LINEAR XRGB8888 GBM buffer failed";
        return std::nullopt;
    }
    return gl;
}

#endif

} // namespace

std::optional<GlSetup> create_gl(const Options& options, DeviceLink& link, Exporter& exporter,
                                 std::string& reason) {
    std::vector<std::string> problems;
    if (!frontend::Device::is_kernel_path(options.device))
        problems.push_back("the device " + options.device +
                           " is not a character device, so a vdmabufd socket (virtio-user), "
                           "which cannot export dma-bufs; GL output buffers need the kernel "
                           "device /dev/virtio-vdmabuf");
    std::vector<std::string> nodes;
    if (!options.drm_node.empty())
        nodes.push_back(options.drm_node);
    else
        nodes = primary_nodes();
    if (nodes.empty())
        problems.push_back("no DRM primary node (/dev/dri/card*)");
#if !VDM_HAVE_GL
    problems.push_back("built without GLES2 and GBM");
#endif
    const auto why = [&] {
        reason.clear();
        for (const std::string& p : problems)
            reason += (reason.empty() ? "" : "; ") + p;
    };
    if (!problems.empty()) {
        why();
        return std::nullopt;
    }
#if VDM_HAVE_GL
    // In the VMs this runs in the only GL is llvmpipe (kms_swrast), which wlroots 0.15
    // refuses unless told (EGL_MESA_device_software). Set here, in this process and
    // only on this path, so the pixman path and clients are left as they were.
    if (::setenv("WLR_RENDERER_ALLOW_SOFTWARE", "1", 0) != 0)
        VDM_ERRNO("setenv WLR_RENDERER_ALLOW_SOFTWARE");
    for (const std::string& node : nodes) {
        std::string node_reason;
        if (auto gl = try_node(node, link, exporter, node_reason))
            return gl;
        problems.push_back(node_reason);
    }
#endif
    why();
    return std::nullopt;
}

void finish_gl_rendering(wlr_renderer* renderer) {
#if VDM_HAVE_GL
    if (!renderer || !wlr_renderer_is_gles2(renderer))
        return;
    wlr_egl* egl = wlr_gles2_renderer_get_egl(renderer);
    const bool was_current = wlr_egl_is_current(egl);
    if (!was_current && !wlr_egl_make_current(egl))
        return;
    glFinish();
    if (!was_current)
        wlr_egl_unset_current(egl);
#else
    (void)renderer;
#endif
}

} // namespace vdmabuf::compositor
