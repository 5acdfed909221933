#define VDM_LOG_SCOPE "wayland"
#include "present/wayland_shm_view.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <drm_fourcc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vdmabuf::viewer {
namespace {

std::string fourcc_name(uint32_t f) {
    char s[5] = {char(f & 0xff), char((f >> 8) & 0xff), char((f >> 16) & 0xff),
                 char((f >> 24) & 0xff), 0};
    return s;
}

} // namespace

std::unique_ptr<WaylandShmView> WaylandShmView::create(const Globals& g, std::string* why) {
    if (!g.subcompositor || !g.shm || !g.parent || !g.formats || !g.scale) {
        *why = "the compositor lacks wl_subcompositor or wl_shm";
        return nullptr;
    }
    if (!g.viewporter) {
        *why = "the compositor lacks wp_viewporter (the frame could not be scaled)";
        return nullptr;
    }
    std::unique_ptr<WaylandShmView> v(new WaylandShmView(g));
    v->surface_.reset(wl_compositor_create_surface(g.compositor));
    // Input stays with the parent, where the pointer and keyboard code listen:
    // an empty input region lets every event fall through to it.
    wl::Region none(wl_compositor_create_region(g.compositor));
    wl_surface_set_input_region(v->surface_.get(), none.get());
    v->subsurface_.reset(
        wl_subcompositor_get_subsurface(g.subcompositor, v->surface_.get(), g.parent));
    // Desynchronized: each guest frame is committed on its own, never waiting
    // for the parent's (EGL) surface, which only changes for the bars.
    wl_subsurface_set_desync(v->subsurface_.get());
    v->viewport_.reset(wp_viewporter_get_viewport(g.viewporter, v->surface_.get()));
    v->hud_ = std::make_unique<WaylandHud>(g.compositor, g.subcompositor, g.shm, v->surface_.get());
    return v;
}

WaylandShmView::~WaylandShmView() {
    syncs_.clear(); // before the proxies their data points into
    feedback_.clear();
    buffers_.clear();
}

WaylandShmView::Pool* WaylandShmView::pool_for(int fd, std::string* why) {
    struct stat st{};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
        *why = "cannot stat the guest-memory fd";
        return nullptr;
    }
    auto key = std::make_pair(uint64_t(st.st_dev), uint64_t(st.st_ino));
    if (auto it = pools_.find(key); it != pools_.end())
        return &it->second;
    // Pool sizes are int32: memory past 2 GiB cannot be in this pool (its
    // buffers fall back). The compositor maps [0, size) of the file.
    const long page = ::sysconf(_SC_PAGESIZE);
    const uint64_t size = std::min<uint64_t>(uint64_t(st.st_size),
                                             uint64_t(INT32_MAX) & ~uint64_t(page - 1));
    // What the compositor will do with it: a failure there is a protocol
    // error that ends our connection (and the window), so try it here first.
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        *why = std::string("the guest-memory fd cannot be mapped read-write: ") + std::strerror(errno);
        return nullptr;
    }
    ::munmap(p, size);
    Pool& pool = pools_[key];
    pool.proxy.reset(wl_shm_create_pool(g_.shm, fd, int32_t(size)));
    pool.size = size;
    return &pool;
}

WaylandShmView::Entry* WaylandShmView::entry_for(const consumer::BufferInfo& info,
                                                 const consumer::Import& import,
                                                 std::string* why) {
    if (auto it = buffers_.find(BufferKey(info.id)); it != buffers_.end())
        return it->second.get();
    const FormatInfo* fmt = format_info(info.fourcc);
    if (import.mode() == VDMABUF_IMPORT_DMABUF)
        return dmabuf_entry(info, import, why);
    if (import.mode() != VDMABUF_IMPORT_MEMFD) {
        *why = "the import is neither guest memory nor a dma-buf";
        return nullptr;
    }
    if (!import.writable()) {
        *why = "vdmabufd refused writable guest-memory fds (a compositor maps wl_shm pools "
               "read-write)";
        return nullptr;
    }
    if (import.extents().size() != 1) {
        // No count in the reason: it is logged once per reason, not per buffer.
        *why = "the buffer is scattered over several extents of guest memory (a wl_buffer is "
               "one contiguous range)";
        return nullptr;
    }
    if (info.n_planes != 1 || !fmt || fmt->num_planes != 1 || info.modifier != DRM_FORMAT_MOD_LINEAR) {
        *why = "format " + fourcc_name(info.fourcc) + " is not one linear plane";
        return nullptr;
    }
    const uint32_t wl_format = wl_shm_format_of(info.fourcc);
    if (!g_.formats->count(wl_format)) {
        *why = "the compositor does not announce wl_shm format " + fourcc_name(info.fourcc);
        return nullptr;
    }
    const vdmabuf_c_import_extent& e = import.extents()[0];
    const vdmabuf_plane& plane = info.planes[0];
    // The plane must lie within the extent: the bytes named are the buffer's.
    const uint64_t row = uint64_t(info.width) * fmt->bpp[0];
    const uint64_t need = uint64_t(plane.stride) * (info.height - 1) + row;
    if (!info.width || !info.height || plane.stride < row || plane.offset > e.len ||
        need > e.len - plane.offset) {
        *why = "the plane layout does not fit the imported memory";
        return nullptr;
    }
    Pool* pool = pool_for(import.fd(e.fd_index), why);
    if (!pool)
        return nullptr;
    const uint64_t offset = e.offset + plane.offset;
    if (offset > uint64_t(INT32_MAX) || plane.stride > uint32_t(INT32_MAX) ||
        offset + need > pool->size) {
        *why = "the buffer lies past the 2 GiB a wl_shm pool can address";
        return nullptr;
    }
    static const wl_buffer_listener listener = {.release = on_release};
    auto entry = std::make_unique<Entry>();
    entry->view = this;
    entry->proxy.reset(wl_shm_pool_create_buffer(pool->proxy.get(), int32_t(offset),
                                                 int32_t(info.width), int32_t(info.height),
                                                 int32_t(plane.stride), wl_format));
    wl_buffer_add_listener(entry->proxy.get(), &listener, entry.get());
    entry->width = info.width;
    entry->height = info.height;
    entry->opaque = !fmt->has_alpha;
    Entry* raw = entry.get();
    buffers_.emplace(BufferKey(info.id), std::move(entry));
    return raw;
}

WaylandShmView::Entry* WaylandShmView::dmabuf_entry(const consumer::BufferInfo& info,
                                                    const consumer::Import& import,
                                                    std::string* why) {
    // Not wl_shm over its pages either: the dma-buf is the guest's buffer,
    // and the compositor would need it as the whole pool.
    const std::string no_shm = "; wl_shm over guest memory: the import is a dma-buf, not guest memory";
    if (auto it = refused_.find(BufferKey(info.id)); it != refused_.end()) {
        *why = it->second;
        return nullptr;
    }
    if (!g_.dmabuf || !g_.dmabuf->bound()) {
        *why = "linux-dmabuf: the compositor does not offer zwp_linux_dmabuf_v1 version 3+" + no_shm;
        return nullptr;
    }
    if (!dmabuf_allowed_) {
        *why = "linux-dmabuf: not allowed (" + dmabuf_denied_ + ")" + no_shm;
        return nullptr;
    }
    wl_buffer* buffer = g_.dmabuf->create_buffer(g_.display, info, import.fd(0), why);
    if (!buffer) {
        *why = "linux-dmabuf: " + *why + no_shm;
        refused_[BufferKey(info.id)] = *why;
        return nullptr;
    }
    static const wl_buffer_listener listener = {.release = on_release};
    const FormatInfo* fmt = format_info(info.fourcc);
    auto entry = std::make_unique<Entry>();
    entry->view = this;
    entry->proxy.reset(buffer);
    entry->dmabuf = true;
    wl_buffer_add_listener(buffer, &listener, entry.get());
    entry->width = info.width;
    entry->height = info.height;
    entry->opaque = !fmt || !fmt->has_alpha;
    Entry* raw = entry.get();
    buffers_.emplace(BufferKey(info.id), std::move(entry));
    return raw;
}

std::string WaylandShmView::show(const consumer::BufferInfo& info, const consumer::Import& import,
                                 std::span<const vdmabuf_rect> damage, uint64_t* serial) {
    std::string why;
    Entry* entry = entry_for(info, import, &why);
    if (!entry)
        return why;
    entry->attached = *serial = next_commit();
    commit(entry->proxy.get(), entry->width, entry->height, entry->opaque, damage);
    shown_ = entry;
    dmabuf_shown_ = entry->dmabuf;
    if (entry->dmabuf)
        summary_ = "import path: linux-dmabuf (the compositor imports the guest's dma-buf "
                   "itself: nothing copied, nothing drawn by the viewer; released after "
                   "wl_buffer.release" +
                   std::string(g_.presentation ? " and a later commit presented)" : ")");
    else
        summary_ = "import path: wl_shm over guest memory (the compositor reads the guest's "
                   "pages; nothing copied)" +
                   std::string(g_.dmabuf && g_.dmabuf->bound()
                                   ? "; not linux-dmabuf: vdmabufd hands out guest memory, not "
                                     "dma-bufs"
                                   : "");
    // Frames shown from guest memory are not in the copies' damage history.
    copy_shown_ = false;
    copy_.invalidate();
    static const wl_callback_listener sync_listener = {.done = on_sync};
    Sync& sync = syncs_.emplace_back(Sync{this, serial_, {}});
    sync.proxy.reset(wl_display_sync(g_.display));
    wl_callback_add_listener(sync.proxy.get(), &sync_listener, &sync);
    // Now rather than at the loop's next poll: the latency is the guest's.
    (void)wl_display_flush(g_.display);
    return {};
}

std::string WaylandShmView::show_copy(const consumer::BufferInfo& info, consumer::Import& import,
                                      std::span<const vdmabuf_rect> damage, int64_t* bytes) {
    std::string why;
    wl_buffer* buffer = copy_.copy(info, import, damage, bytes, &why);
    if (!buffer)
        return why;
    const FormatInfo* fmt = format_info(info.fourcc); // checked by copy()
    (void)next_commit();
    commit(buffer, info.width, info.height, !fmt->has_alpha, damage);
    shown_ = nullptr;
    copy_shown_ = true;
    (void)wl_display_flush(g_.display);
    return {};
}

std::optional<ShownPixels> WaylandShmView::shown_copy() const {
    return visible_ && copy_shown_ ? copy_.last() : std::nullopt;
}

void WaylandShmView::commit(wl_buffer* buffer, uint32_t width, uint32_t height, bool opaque,
                            std::span<const vdmabuf_rect> damage) {
    wl_surface* s = surface_.get();
    // The PRESENT's damage is what changed since the guest's previous frame,
    // which is what the surface shows (in whichever buffer) unless it was
    // hidden: exactly what wl_surface damage means.
    const bool whole = damage.empty() || !visible_ || g_.compositor_version < 4;
    // Opaque where the format has no alpha: the compositor then copies the
    // frame instead of blending it over the bars surface below.
    if (!visible_ || opaque != shown_opaque_) {
        wl::Region region(wl_compositor_create_region(g_.compositor));
        wl_region_add(region.get(), 0, 0, INT32_MAX, INT32_MAX);
        wl_surface_set_opaque_region(s, opaque ? region.get() : nullptr);
        shown_opaque_ = opaque;
    }
    if (!visible_ || width != shown_width_ || height != shown_height_) {
        visible_ = true;
        shown_width_ = width;
        shown_height_ = height;
        apply_geometry(); // lands with this commit (viewport) and the parent's (position)
        update_hud();
    }
    wl_surface_attach(s, buffer, 0, 0);
    if (whole && g_.compositor_version < 4)
        wl_surface_damage(s, 0, 0, INT32_MAX, INT32_MAX);
    else if (whole)
        wl_surface_damage_buffer(s, 0, 0, INT32_MAX, INT32_MAX);
    else
        for (const vdmabuf_rect& r : damage) {
            // Clipped to the buffer: int32 on the wire, whatever came in.
            const uint32_t x = std::min(r.x, width), y = std::min(r.y, height);
            const uint32_t w = std::min(r.width, width - x), h = std::min(r.height, height - y);
            wl_surface_damage_buffer(s, int32_t(x), int32_t(y), int32_t(w), int32_t(h));
        }
    wl_surface_commit(s);
}

uint64_t WaylandShmView::next_commit() {
    ++serial_;
    if (!g_.presentation)
        return serial_;
    static const wp_presentation_feedback_listener listener = {
        .sync_output = [](void*, struct wp_presentation_feedback*, wl_output*) {},
        .presented = [](void* data, struct wp_presentation_feedback* f, uint32_t, uint32_t,
                        uint32_t, uint32_t, uint32_t, uint32_t,
                        uint32_t) { on_feedback_done(data, f); },
        .discarded = on_feedback_done,
    };
    // A compositor that never answers (hidden window) must not grow this list.
    if (feedback_.size() >= 64) {
        presented_ = std::max(presented_, feedback_.front().serial);
        feedback_.pop_front();
    }
    Feedback& f = feedback_.emplace_back(Feedback{this, serial_, {}});
    f.proxy.reset(wp_presentation_feedback(g_.presentation, surface_.get()));
    wp_presentation_feedback_add_listener(f.proxy.get(), &listener, &f);
    return serial_;
}

void WaylandShmView::on_feedback_done(void* data, struct wp_presentation_feedback*) {
    auto* f = static_cast<Feedback*>(data);
    WaylandShmView* self = f->view;
    self->presented_ = std::max(self->presented_, f->serial);
    self->feedback_.remove_if([f](const Feedback& x) { return &x == f; });
}

void WaylandShmView::on_sync(void* data, wl_callback*, uint32_t) {
    auto* sync = static_cast<Sync*>(data);
    WaylandShmView* self = sync->view;
    self->processed_ = std::max(self->processed_, sync->serial);
    self->syncs_.remove_if([sync](const Sync& s) { return &s == sync; });
}

void WaylandShmView::on_release(void* data, wl_buffer*) {
    // The compositor is done with every attach of this buffer it had
    // processed; a later one (its sync not back yet) still counts as held.
    auto* e = static_cast<Entry*>(data);
    e->released = std::max(e->released, std::min(e->attached, e->view->processed_));
    e->released_ns = now_ns();
}

bool WaylandShmView::flipped_away(const Entry& e, uint64_t serial) const {
    if (!e.dmabuf || !g_.presentation || presented_ > serial)
        return true;
    // A later commit not reported after a second (a hidden window, a
    // detached surface the compositor never repaints): the release decides;
    // vdmabufd's release timeout must not take it instead.
    if (now_ns() - e.released_ns <= 1'000'000'000u)
        return false;
    if (serial > unreported_logged_) {
        unreported_logged_ = serial;
        VDM_DEBUG("dma-buf attach %llu: released 1 s ago, no later commit reported presented: "
                  "going back on the release alone", static_cast<unsigned long long>(serial));
    }
    return true;
}

bool WaylandShmView::released(const vdmabuf_id& id, uint64_t serial) const {
    auto it = buffers_.find(BufferKey(id));
    return it == buffers_.end() ||
           (it->second->released >= serial && flipped_away(*it->second, serial));
}

bool WaylandShmView::place(int x, int y, int w, int h) {
    if (x == x_ && y == y_ && w == w_ && h == h_)
        return true;
    x_ = x, y_ = y, w_ = w, h_ = h;
    if (visible_) {
        apply_geometry();
        wl_surface_commit(surface_.get()); // the viewport; the position waits for the parent
    }
    update_hud(); // wrapped anew for the picture's width
    return true;
}

bool WaylandShmView::set_hud(const std::string& text) {
    hud_text_ = text;
    update_hud();
    (void)wl_display_flush(g_.display);
    return true;
}

void WaylandShmView::update_hud() {
    // The picture's width in buffer pixels: the letterbox, else the frame's.
    const uint32_t width = w_ > 0 ? uint32_t(w_) : shown_width_;
    if (hud_text_.empty() || !width)
        hud_->hide();
    else
        hud_->set(hud_text_, width, std::max(1, *g_.scale));
}

void WaylandShmView::apply_geometry() {
    // Buffer pixels of the parent to its surface-local (logical) units.
    const int scale = std::max(1, *g_.scale);
    const int w = w_ > 0 ? w_ : int(std::max(1u, shown_width_));
    const int h = h_ > 0 ? h_ : int(std::max(1u, shown_height_));
    wl_subsurface_set_position(subsurface_.get(), x_ / scale, y_ / scale);
    wp_viewport_set_destination(viewport_.get(), std::max(1, w / scale), std::max(1, h / scale));
}

void WaylandShmView::hide() {
    if (!visible_)
        return;
    (void)next_commit();
    wl_surface_attach(surface_.get(), nullptr, 0, 0);
    wl_surface_commit(surface_.get());
    visible_ = false;
    shown_ = nullptr;
    copy_shown_ = false;
    copy_.invalidate(); // what shows next (GL) is not in the copies' damage history
    (void)wl_display_flush(g_.display);
}

void WaylandShmView::wait_released() {
    auto pending = [this] {
        for (const auto& [key, e] : buffers_)
            if (e->released < e->attached || !flipped_away(*e, e->attached))
                return true;
        return false;
    };
    // The detach's commit is processed in order; a weston releases there,
    // others at their next repaint: a few round trips, not a wait on a clock.
    // A dma-buf also waits for the detach's presentation feedback (bounded
    // by flipped_away()'s second).
    for (int i = 0; i < 5 && pending(); ++i)
        if (wl_display_roundtrip(g_.display) < 0)
            return;
    for (int i = 0; i < 60 && pending(); ++i) {
        ::usleep(20'000);
        if (wl_display_roundtrip(g_.display) < 0)
            return;
    }
}

void WaylandShmView::forget(const vdmabuf_id& id) {
    refused_.erase(BufferKey(id));
    auto it = buffers_.find(BufferKey(id));
    if (it == buffers_.end())
        return;
    if (it->second.get() == shown_)
        hide(); // the compositor must not read a buffer the guest has taken back
    buffers_.erase(it);
}

void WaylandShmView::forget_all() {
    hide();
    buffers_.clear();
    refused_.clear();
    dmabuf_shown_ = false;
    pools_.clear(); // new guest memory comes with new fds (and inodes)
}

} // namespace vdmabuf::viewer
