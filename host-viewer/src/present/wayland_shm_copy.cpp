#define VDM_LOG_SCOPE "wayland"
#include "present/wayland_shm_copy.hpp"

#include "import/mapping_check.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::viewer {
namespace {

// Frames of damage kept: a buffer further behind is copied whole.
constexpr size_t kHistory = 8;

// Guest damage clipped to the frame; an empty rectangle where none is left.
vdmabuf_rect clip(const vdmabuf_rect& r, uint32_t width, uint32_t height) {
    const uint32_t x = std::min(r.x, width), y = std::min(r.y, height);
    return {x, y, std::min(r.width, width - x), std::min(r.height, height - y)};
}

bool inside(const vdmabuf_rect& a, const vdmabuf_rect& b) {
    return a.x >= b.x && a.y >= b.y && uint64_t(a.x) + a.width <= uint64_t(b.x) + b.width &&
           uint64_t(a.y) + a.height <= uint64_t(b.y) + b.height;
}

// Drops rectangles another one covers (the same damage repeated over frames
// is copied once); overlapping ones are copied as they are.
void drop_covered(std::vector<vdmabuf_rect>& rects) {
    for (size_t i = 0; i < rects.size();) {
        bool covered = false;
        for (size_t j = 0; j < rects.size() && !covered; ++j)
            covered =
                j != i && inside(rects[i], rects[j]) && (!inside(rects[j], rects[i]) || j < i);
        if (covered)
            rects.erase(rects.begin() + std::ptrdiff_t(i));
        else
            ++i;
    }
}

} // namespace

uint32_t wl_shm_format_of(uint32_t fourcc) {
    switch (fourcc) {
    case DRM_FORMAT_ARGB8888:
        return WL_SHM_FORMAT_ARGB8888;
    case DRM_FORMAT_XRGB8888:
        return WL_SHM_FORMAT_XRGB8888;
    default:
        return fourcc;
    }
}

wl_buffer* WaylandShmCopy::copy(const consumer::BufferInfo& info, consumer::Import& import,
                                std::span<const vdmabuf_rect> damage, int64_t* bytes,
                                std::string* why) {
    const FormatInfo* fmt = format_info(info.fourcc);
    if (info.n_planes != 1 || !fmt || fmt->num_planes != 1 ||
        info.modifier != DRM_FORMAT_MOD_LINEAR) {
        *why = "format " + format_name(info.fourcc) + " is not one linear plane";
        return nullptr;
    }
    if (!formats_->count(wl_shm_format_of(info.fourcc))) {
        *why = "the compositor does not announce wl_shm format " + format_name(info.fourcc);
        return nullptr;
    }
    const uint32_t stride = info.planes[0].stride;
    if (uint64_t(stride) * info.height > uint64_t(INT32_MAX)) {
        *why = "the frame is larger than a wl_shm pool can be (2 GiB)";
        return nullptr;
    }
    const uint8_t* base = import.map();
    if (!base || !plane0_fits(*fmt, info, import.size())) {
        *why = "the viewer cannot read the buffer (no mapping, or the layout does not fit it)";
        return nullptr;
    }
    if (info.width != width_ || info.height != height_ || info.fourcc != fourcc_) {
        invalidate(); // the damage of frames of another size says nothing about this one
        width_ = info.width, height_ = info.height, fourcc_ = info.fourcc;
    }
    const uint32_t bpp = fmt->bpp[0];
    Slot* slot = pick(info, why);
    if (!slot)
        return nullptr;
    const std::optional<std::vector<vdmabuf_rect>> rects = catch_up(*slot, damage);
    const uint8_t* src = base + info.planes[0].offset;
    uint8_t* dst = slot->memory.bytes();
    int64_t n = 0;
    if (!rects) {
        // Same stride: one memcpy (plane0_fits checked stride * height).
        std::memcpy(dst, src, size_t(stride) * info.height);
        n = int64_t(info.width) * info.height * bpp;
    } else {
        for (const vdmabuf_rect& r : *rects) {
            const size_t at = size_t(r.y) * stride + size_t(r.x) * bpp, row = size_t(r.width) * bpp;
            for (uint32_t i = 0; i < r.height; ++i)
                std::memcpy(dst + at + size_t(i) * stride, src + at + size_t(i) * stride, row);
            n += int64_t(r.width) * r.height * bpp;
        }
    }
    Past past{++frame_, damage.empty(), {}};
    for (const vdmabuf_rect& r : damage)
        if (vdmabuf_rect c = clip(r, info.width, info.height); c.width && c.height)
            past.rects.push_back(c);
    history_.push_back(std::move(past));
    if (history_.size() > kHistory)
        history_.pop_front();
    slot->frame = frame_;
    slot->held = true;
    last_ = slot;
    *bytes = n;
    return slot->proxy.get();
}

std::optional<std::vector<vdmabuf_rect>>
WaylandShmCopy::catch_up(const Slot& slot, std::span<const vdmabuf_rect> damage) const {
    if (damage.empty() || slot.frame == 0)
        return std::nullopt;
    std::vector<vdmabuf_rect> out;
    if (slot.frame < frame_) {
        // Every frame it missed must be known, with rectangles.
        if (history_.empty() || history_.front().frame > slot.frame + 1)
            return std::nullopt;
        for (const Past& p : history_) {
            if (p.frame <= slot.frame)
                continue;
            if (p.whole)
                return std::nullopt;
            out.insert(out.end(), p.rects.begin(), p.rects.end());
        }
    }
    for (const vdmabuf_rect& r : damage)
        if (vdmabuf_rect c = clip(r, width_, height_); c.width && c.height)
            out.push_back(c);
    drop_covered(out);
    return out;
}

WaylandShmCopy::Slot* WaylandShmCopy::pick(const consumer::BufferInfo& info, std::string* why) {
    auto fits = [&](const Slot& s) {
        return s.width == info.width && s.height == info.height &&
               s.stride == info.planes[0].stride && s.fourcc == info.fourcc;
    };
    for (int attempt = 0; attempt < 2; ++attempt) {
        Slot* best = nullptr;
        for (const auto& s : slots_)
            if (!s->held && fits(*s) && (!best || s->frame > best->frame))
                best = s.get();
        if (best)
            return best;
        // Free buffers of another layout make room for one of this.
        std::erase_if(slots_, [&](const std::unique_ptr<Slot>& s) {
            const bool drop = !s->held && !fits(*s);
            if (drop && s.get() == last_)
                last_ = nullptr;
            return drop;
        });
        if (slots_.size() < kMaxBuffers)
            return allocate(info, why);
        // All held: a release may be on its way (a compositor releases the
        // replaced buffer when it handles the next commit). One round trip
        // brings whatever it sent before; no wait on a clock.
        if (attempt == 0 && wl_display_roundtrip(display_) < 0)
            break;
    }
    *why = "the compositor still holds all " + std::to_string(kMaxBuffers) +
           " of the viewer's wl_shm buffers";
    return nullptr;
}

WaylandShmCopy::Slot* WaylandShmCopy::allocate(const consumer::BufferInfo& info, std::string* why) {
    const uint32_t stride = info.planes[0].stride;
    const size_t size = size_t(stride) * info.height;
    UniqueFd fd{::memfd_create("vdmabuf-viewer-frame", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd || ::ftruncate(fd.get(), off_t(size)) != 0) {
        *why = std::string("cannot allocate a wl_shm buffer: ") + std::strerror(errno);
        return nullptr;
    }
    // Sealed against shrinking: the compositor's reads can never fault.
    (void)::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL);
    auto slot = std::make_unique<Slot>();
    slot->memory = Mapping::map(fd.get(), size, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (!slot->memory) {
        *why = "cannot map a wl_shm buffer of the viewer's";
        return nullptr;
    }
    // The buffer keeps the memory; the pool and the fd can go at once.
    wl::ShmPool pool(wl_shm_create_pool(shm_, fd.get(), int32_t(size)));
    slot->proxy.reset(wl_shm_pool_create_buffer(pool.get(), 0, int32_t(info.width),
                                                int32_t(info.height), int32_t(stride),
                                                wl_shm_format_of(info.fourcc)));
    static const wl_buffer_listener listener = {.release = on_release};
    wl_buffer_add_listener(slot->proxy.get(), &listener, slot.get());
    slot->width = info.width;
    slot->height = info.height;
    slot->stride = stride;
    slot->fourcc = info.fourcc;
    VDM_DEBUG("wl_shm copy: buffer %zu of %zu, %ux%u %s", slots_.size() + 1, kMaxBuffers,
              info.width, info.height, format_name(info.fourcc).c_str());
    return slots_.emplace_back(std::move(slot)).get();
}

void WaylandShmCopy::on_release(void* data, wl_buffer*) {
    // Never attached twice while held: this release is of its one attach.
    static_cast<Slot*>(data)->held = false;
}

void WaylandShmCopy::invalidate() {
    for (const auto& s : slots_)
        s->frame = 0;
    history_.clear();
}

std::optional<ShownPixels> WaylandShmCopy::last() const {
    if (!last_)
        return std::nullopt;
    return ShownPixels{last_->memory.bytes(), last_->width, last_->height, last_->stride,
                       last_->fourcc};
}

} // namespace vdmabuf::viewer
