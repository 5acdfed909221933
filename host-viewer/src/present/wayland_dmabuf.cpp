#define VDM_LOG_SCOPE "wayland"
#include "present/wayland_dmabuf.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <drm_fourcc.h>
#include <unistd.h>

namespace vdmabuf::viewer {
namespace {

std::string fourcc_name(uint32_t f) {
    char s[5] = {char(f & 0xff), char((f >> 8) & 0xff), char((f >> 16) & 0xff),
                 char((f >> 24) & 0xff), 0};
    return s;
}

std::string modifier_name(uint64_t m) {
    if (m == DRM_FORMAT_MOD_INVALID)
        return "INVALID (implicit)";
    if (m == DRM_FORMAT_MOD_LINEAR)
        return "LINEAR";
    char s[24];
    std::snprintf(s, sizeof s, "0x%016llx", static_cast<unsigned long long>(m));
    return s;
}

// The compositor's answer to one `create`.
struct Pending {
    wl_buffer* buffer = nullptr;
    bool answered = false;
};

} // namespace

void WaylandDmabuf::bind(wl_registry* registry, uint32_t name, uint32_t version) {
    static const zwp_linux_dmabuf_v1_listener listener = {
        .format = on_format,
        .modifier = on_modifier,
    };
    if (proxy_ || version < 3) // version 1-2 lack `modifier`; `create` needs nothing newer
        return;
    version_ = std::min(version, 3u);
    proxy_.reset(static_cast<zwp_linux_dmabuf_v1*>(
        wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, version_)));
    zwp_linux_dmabuf_v1_add_listener(proxy_.get(), &listener, this);
}

void WaylandDmabuf::on_format(void* data, zwp_linux_dmabuf_v1*, uint32_t format) {
    // Deprecated in version 3, but a compositor may still send it: the format
    // with its implicit modifier.
    static_cast<WaylandDmabuf*>(data)->formats_[format].insert(DRM_FORMAT_MOD_INVALID);
}

void WaylandDmabuf::on_modifier(void* data, zwp_linux_dmabuf_v1*, uint32_t format, uint32_t hi,
                                uint32_t lo) {
    static_cast<WaylandDmabuf*>(data)->formats_[format].insert(uint64_t(hi) << 32 | lo);
}

std::string WaylandDmabuf::check(const consumer::BufferInfo& info, uint64_t* modifier) const {
    if (!proxy_)
        return "the compositor does not offer zwp_linux_dmabuf_v1 version 3+";
    auto it = formats_.find(info.fourcc);
    if (it == formats_.end())
        return "the compositor does not announce dma-buf format " + fourcc_name(info.fourcc);
    if (it->second.count(info.modifier)) {
        *modifier = info.modifier;
        return {};
    }
    // INVALID: the compositor's driver picks the layout it would for a buffer
    // without modifiers, which for these formats is linear.
    if (info.modifier == DRM_FORMAT_MOD_LINEAR && it->second.count(DRM_FORMAT_MOD_INVALID)) {
        *modifier = DRM_FORMAT_MOD_INVALID;
        return {};
    }
    return "the compositor does not announce " + fourcc_name(info.fourcc) + " with modifier " +
           modifier_name(info.modifier);
}

std::string WaylandDmabuf::describe(uint32_t fourcc) const {
    std::string s =
        "version " + std::to_string(version_) + ", " + std::to_string(formats_.size()) + " formats";
    if (auto it = formats_.find(fourcc); it != formats_.end()) {
        s += "; " + fourcc_name(fourcc) + " modifiers";
        for (uint64_t m : it->second)
            s += " " + modifier_name(m);
    }
    return s;
}

wl_buffer* WaylandDmabuf::create_buffer(wl_display* display, const consumer::BufferInfo& info,
                                        int fd, std::string* why) {
    uint64_t modifier = 0;
    if (std::string no = check(info, &modifier); !no.empty()) {
        *why = no;
        return nullptr;
    }
    // What the compositor checks with a protocol error (linux-dmabuf
    // `invalid_dimensions`, `out_of_bounds`, `incomplete`): checked here.
    const FormatInfo* fmt = format_info(info.fourcc);
    if (!info.width || !info.height || info.width > INT32_MAX || info.height > INT32_MAX ||
        info.n_planes < 1 || info.n_planes > 4 || (fmt && fmt->num_planes != info.n_planes)) {
        *why = "the buffer's size or plane count is not one a dma-buf can have";
        return nullptr;
    }
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0) {
        *why = std::string("cannot size the dma-buf (lseek): ") + std::strerror(errno);
        return nullptr;
    }
    const uint64_t size = uint64_t(end);
    for (uint32_t i = 0; i < info.n_planes; ++i) {
        const vdmabuf_plane& p = info.planes[i];
        const uint64_t need = i == 0 ? uint64_t(p.stride) * info.height : uint64_t(p.stride);
        if (!p.stride || p.offset >= size || need > size - p.offset) {
            *why = "plane " + std::to_string(i) + " lies past the end of the dma-buf";
            return nullptr;
        }
    }
    static const zwp_linux_buffer_params_v1_listener listener = {
        .created =
            [](void* data, zwp_linux_buffer_params_v1* params, wl_buffer* buffer) {
                auto* p = static_cast<Pending*>(data);
                if (!p) { // an answer given up on (below)
                    wl_buffer_destroy(buffer);
                    zwp_linux_buffer_params_v1_destroy(params);
                    return;
                }
                p->buffer = buffer;
                p->answered = true;
            },
        .failed =
            [](void* data, zwp_linux_buffer_params_v1* params) {
                if (!data) {
                    zwp_linux_buffer_params_v1_destroy(params);
                    return;
                }
                static_cast<Pending*>(data)->answered = true;
            },
    };
    Pending pending;
    wl::BufferParams params(zwp_linux_dmabuf_v1_create_params(proxy_.get()));
    zwp_linux_buffer_params_v1_add_listener(params.get(), &listener, &pending);
    for (uint32_t i = 0; i < info.n_planes; ++i)
        zwp_linux_buffer_params_v1_add(params.get(), fd, i, info.planes[i].offset,
                                       info.planes[i].stride, uint32_t(modifier >> 32),
                                       uint32_t(modifier & 0xffffffffu));
    zwp_linux_buffer_params_v1_create(params.get(), int32_t(info.width), int32_t(info.height),
                                      info.fourcc, 0);
    // The compositor imports it now (weston: eglCreateImage), so the answer
    // can take a while under a software renderer: a few round trips.
    for (int i = 0; i < 10 && !pending.answered; ++i)
        if (wl_display_roundtrip(display) < 0) {
            *why = "the Wayland connection failed while the compositor imported the dma-buf";
            return nullptr;
        }
    if (!pending.answered) {
        // Its answer may still come: the params object stays until it does
        // (the listener then destroys what it brings), without our stack.
        wl_proxy_set_user_data(reinterpret_cast<wl_proxy*>(params.get()), nullptr);
        (void)params.release();
        *why = "the compositor did not answer the dma-buf import";
        return nullptr;
    }
    if (!pending.buffer) {
        *why = "the compositor refused to import the dma-buf (zwp_linux_buffer_params_v1.failed)";
        return nullptr;
    }
    return pending.buffer;
}

} // namespace vdmabuf::viewer
