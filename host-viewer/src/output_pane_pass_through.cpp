// OutputPane, windows: the pass-through branch. The window system reads the
// frame from guest memory (Wayland: the guest's dma-buf as a zwp_linux_dmabuf_v1
// buffer where vdmabufd hands out dma-bufs, else a wl_shm buffer over the guest-memory fd;
// X11: an MIT-SHM put from it); the viewer copies and draws nothing per
// frame, and keeps the presentation until the window system is done with it
// (wl_buffer.release; the put's ShmCompletion). A buffer Wayland cannot show
// that way but the viewer can read is copied, only its damage, into wl_shm
// buffers of the viewer's own (a memcpy, no GL) and released at once. Any
// buffer neither can show (the reasons logged once) takes the GL path of
// output_pane.cpp.
#define VDM_LOG_SCOPE "viewer"
#include "output_pane.hpp"

#include "viewer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>

namespace vdmabuf::viewer {

bool OutputPane::show_pass_through(BufferState& b, const consumer::PresentEvent& p,
                                   uint64_t* serial, bool* copied) {
    PassThrough* pt = presenter_->pass_through();
    if (!pt)
        return false;
    std::string why;
    const bool cursor = !cursor_on_host_ && cursor_.width;
    if (cursor)
        why = "the guest's cursor is drawn by the viewer (the window system cannot show it)";
    // Coalesced or dropped PRESENTs took their damage with them: all of it.
    const bool whole = p.n_damage == 0 || p.dropped || (p.flags & VDMABUF_C_PRESENT_COALESCED);
    const auto damage = whole ? std::span<const vdmabuf_rect>()
                              : std::span(p.damage, std::min<uint32_t>(p.n_damage, VDMABUF_MAX_DAMAGE));
    // The first frame sizes the window: a view that cannot scale must judge
    // the frame against that size, not the window's initial one.
    if (why.empty() && pt->one_to_one())
        presenter_->set_content_size(b.info.width, b.info.height);
    if (why.empty())
        why = pt->show(b.info, *b.import, damage, serial);
    if (why.empty()) {
        log_once(pt->summary());
        shown_by_compositor(b.info);
        pass_through_buffer_ = &b;
        pass_through_since_ns_ = now_ns();
        count_copied(0, pt->name());
        return true;
    }
    // A dma-buf GL can import is shown without any copy: that goes first.
    if (pt->has_copy_path() && !cursor && !zero_copy_allowed(b)) {
        int64_t bytes = 0;
        const std::string no_copy = pt->show_copy(b.info, *b.import, damage, &bytes);
        if (no_copy.empty()) {
            log_once(std::string(pt->name()) + " pass-through not possible (" + why +
                     "): wl_shm copy (the viewer copies only the damaged bytes into wl_shm "
                     "buffers of its own, no GL)");
            shown_by_compositor(b.info);
            pass_through_buffer_ = nullptr; // the guest buffer goes back now
            *copied = true;
            count_copied(bytes, "wl_shm copy");
            return true;
        }
        why += "; nor a wl_shm copy: " + no_copy;
    }
    log_once(std::string(pt->name()) + " pass-through not possible (" + why + "): GL path");
    leave_pass_through();
    return false;
}

bool OutputPane::copy_out_pass_through(const char* why) {
    BufferState* b = pass_through_buffer_;
    PassThrough* pt = presenter_->pass_through();
    if (!b || !b->import || !pt || !pt->can_copy_out())
        return false;
    int64_t bytes = 0;
    const std::string no = pt->copy_out_shown(b->info, *b->import, &bytes);
    if (!no.empty()) {
        VDM_DEBUG("output %u: cannot copy out buffer %s (%s): %s", output_,
                  buffer_name(b->info.id).c_str(), why, no.c_str());
        return false;
    }
    // Its hold goes with the compositor's wl_buffer.release (reap()).
    pass_through_buffer_ = nullptr;
    stats_.bytes_copied_on_demand += uint64_t(bytes);
    ++stats_.copies_on_demand;
    VDM_DEBUG("output %u: copied out buffer %s (%lld bytes): %s", output_,
              buffer_name(b->info.id).c_str(), static_cast<long long>(bytes), why);
    return true;
}

void OutputPane::shown_by_compositor(const consumer::BufferInfo& info) {
    if (!pass_through_shown_)
        bars_stale_ = true; // the parent may still show a GL frame under the bars
    pass_through_shown_ = true;
    shown_in_memory_ = false;
    shown_texture_ = 0; // the GL path starts again from a full upload
    copy_->invalidate();
    shown_width_ = info.width;
    shown_height_ = info.height;
    shown_opaque_ = !format_info(info.fourcc)->has_alpha;
}

void OutputPane::render_pass_through() {
    presenter_->set_content_size(shown_width_, shown_height_);
    auto [tw, th] = presenter_->target_size();
    if (!tw || !th)
        return;
    PassThrough* pt = presenter_->pass_through();
    if (pt->one_to_one()) {
        // X11: the view puts the frame again where the window moved or lost
        // it, and paints the bars itself; GL must not swap over it.
        if (!pt->place(0, 0, 0, 0)) {
            // The window became smaller than the frame, which XShmPutImage
            // cannot scale: GL draws it, uploaded from guest memory once.
            log_once(std::string(pt->name()) + " pass-through not possible (the window is smaller "
                     "than the frame and XShmPutImage does not scale): GL path");
            const GLuint last = pass_through_texture();
            leave_pass_through();
            shown_texture_ = last;
            render();
            return;
        }
        dirty_ = false;
        return;
    }
    const Renderer::Rect r = Renderer::fit(shown_width_, shown_height_, tw, th);
    pt->place(r.x, r.y, r.w, r.h);
    const bool moved = r.x != bars_x_ || r.y != bars_y_ || r.w != bars_w_ || r.h != bars_h_;
    if (bars_stale_ || moved || tw != bars_width_ || th != bars_height_) {
        // The parent surface: black (the bars) under the content subsurface;
        // its commit also moves the subsurface.
        TargetSize t = presenter_->begin_frame();
        if (!t.width || !t.height)
            return;
        renderer_->draw({0, shown_width_, shown_height_, t.width, t.height, t.flip_y, true, 1.0f});
        presenter_->end_frame();
        ++stats_.draws;
        bars_stale_ = false;
        bars_width_ = tw;
        bars_height_ = th;
        bars_x_ = r.x, bars_y_ = r.y, bars_w_ = r.w, bars_h_ = r.h;
    }
    dirty_ = false;
}

void OutputPane::leave_pass_through() {
    if (!pass_through_shown_)
        return;
    if (PassThrough* pt = presenter_->pass_through())
        pt->hide();
    pass_through_shown_ = false;
    pass_through_buffer_ = nullptr;
    bars_stale_ = true;
    dirty_ = true;
}

GLuint OutputPane::pass_through_texture() {
    BufferState* b = pass_through_buffer_;
    consumer::BufferInfo info;
    const uint8_t* map = nullptr;
    uint64_t size = 0;
    if (b && b->import) { // guest memory
        info = b->info;
        map = b->import->map();
        size = b->import->size();
    } else if (PassThrough* pt = presenter_->pass_through()) { // the viewer's copy
        if (std::optional<ShownPixels> c = pt->shown_copy()) {
            info.fourcc = c->fourcc, info.width = c->width, info.height = c->height;
            info.n_planes = 1;
            info.planes[0] = {0, c->stride};
            map = c->pixels;
            size = uint64_t(c->stride) * c->height;
        }
    }
    if (!map || !presenter_->context().make_current())
        return 0;
    // Not counted as copied bytes: a screenshot, not a frame.
    copy_->invalidate();
    if (copy_->upload(info, map, size, {}) < 0)
        return 0;
    return copy_->texture();
}

} // namespace vdmabuf::viewer
