#define VDM_LOG_SCOPE "wayland"
#include "present/wayland_hud.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::viewer {

WaylandHud::WaylandHud(wl_compositor* compositor, wl_subcompositor* subcompositor, wl_shm* shm,
                       wl_surface* content)
    : shm_(shm) {
    surface_.reset(wl_compositor_create_surface(compositor));
    // Input falls through to the window, as for the content surface.
    wl::Region none(wl_compositor_create_region(compositor));
    wl_surface_set_input_region(surface_.get(), none.get());
    // A new subsurface is placed right above its parent: above the frame.
    subsurface_.reset(wl_subcompositor_get_subsurface(subcompositor, surface_.get(), content));
    // Its own commits apply at once, never waiting for a frame's.
    wl_subsurface_set_desync(subsurface_.get());
    for (Slot& s : slots_)
        s.hud = this;
}

WaylandHud::Slot* WaylandHud::free_slot(uint32_t width, uint32_t height) {
    Slot* slot = nullptr;
    for (Slot& s : slots_)
        if (!s.held && (!slot || (s.width == width && s.height == height)))
            slot = &s;
    if (!slot)
        return nullptr;
    if (slot->proxy && slot->width == width && slot->height == height)
        return slot;
    // Another size: a buffer of its own, from a memfd of its own. Once a
    // second at most, and a few kilobytes.
    slot->proxy.reset();
    slot->memory.reset();
    const size_t stride = size_t(width) * 4, size = stride * height;
    UniqueFd fd{::memfd_create("vdmabuf-viewer-hud", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd || ::ftruncate(fd.get(), off_t(size)) != 0) {
        VDM_ERRNO("hud: memfd_create/ftruncate(%zu)", size);
        return nullptr;
    }
    // Sealed against shrinking: the compositor's reads can never fault.
    (void)::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL);
    slot->memory = Mapping::map(fd.get(), size, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (!slot->memory)
        return nullptr;
    // The buffer keeps the memory; the pool and the fd can go at once.
    wl::ShmPool pool(wl_shm_create_pool(shm_, fd.get(), int32_t(size)));
    slot->proxy.reset(wl_shm_pool_create_buffer(pool.get(), 0, int32_t(width), int32_t(height),
                                                int32_t(stride), WL_SHM_FORMAT_ARGB8888));
    static const wl_buffer_listener listener = {.release = on_release};
    wl_buffer_add_listener(slot->proxy.get(), &listener, slot);
    slot->width = width;
    slot->height = height;
    return slot;
}

void WaylandHud::set(const std::string& text, uint32_t width, int32_t scale) {
    if (text.empty()) {
        hide();
        return;
    }
    scale = std::max(1, scale);
    if (shown_ && text == text_ && width == width_ && scale == scale_)
        return;
    const hud::Image img = hud::render(text, width, uint32_t(scale));
    if (img.pixels.empty()) {
        hide(); // a picture too narrow for one character
        return;
    }
    Slot* slot = free_slot(img.width, img.height);
    if (!slot)
        return; // both held: the compositor has not repainted; next second
    std::memcpy(slot->memory.bytes(), img.pixels.data(), img.pixels.size() * 4);
    wl_surface* s = surface_.get();
    wl_surface_set_buffer_scale(s, scale);
    wl_surface_attach(s, slot->proxy.get(), 0, 0);
    wl_surface_damage(s, 0, 0, INT32_MAX, INT32_MAX);
    wl_surface_commit(s);
    slot->held = true;
    text_ = text;
    width_ = width;
    scale_ = scale;
    shown_ = true;
}

void WaylandHud::hide() {
    if (!shown_)
        return;
    wl_surface_attach(surface_.get(), nullptr, 0, 0);
    wl_surface_commit(surface_.get());
    shown_ = false;
    text_.clear();
}

void WaylandHud::on_release(void* data, wl_buffer*) {
    // Never attached twice while held: this release is of its one attach.
    static_cast<Slot*>(data)->held = false;
}

} // namespace vdmabuf::viewer
