#define VDM_LOG_SCOPE "viewer"
#include "output_pane.hpp"

#include "egl/framebuffer.hpp"
#include "import/import_probe.hpp"
#include "input/pointer_map.hpp"
#include "viewer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <drm_fourcc.h>

namespace vdmabuf::viewer {

std::string buffer_name(const vdmabuf_id& id) {
    return std::to_string(id.guest) + ":" + std::to_string(id.counter);
}

OutputPane::OutputPane(uint32_t output, std::unique_ptr<Presenter> presenter, ViewerStats& stats,
                       ReleaseFn release, ImportChoice import)
    : output_(output), presenter_(std::move(presenter)), stats_(stats),
      release_(std::move(release)), import_(import) {}

std::unique_ptr<OutputPane> OutputPane::create(uint32_t output,
                                               std::unique_ptr<Presenter> presenter,
                                               ViewerStats& stats, ReleaseFn release,
                                               ImportChoice import) {
    std::unique_ptr<OutputPane> p(
        new OutputPane(output, std::move(presenter), stats, std::move(release), import));
    const EglContext& ctx = p->presenter_->context();
    if (!ctx.make_current())
        return nullptr;
    p->renderer_ = Renderer::create();
    if (!p->renderer_)
        return nullptr;
    p->copy_ = std::make_unique<CopyImporter>(ctx);
    p->dmabuf_ = std::make_unique<DmabufImporter>(ctx);
    // Decided (and logged) now, with the first pane, not at the first
    // dma-buf: the probe child takes seconds under TCG, longer than vdmabufd
    // lets a consumer hold a PRESENT (--release-timeout, 2 s by default).
    (void)dmabuf_import_trust(import, ctx, *p->dmabuf_);
    // Likewise whether the compositor may be handed dma-bufs (a probe child
    // where a software driver could fault on them; see import_probe.hpp).
    if (PassThrough* pt = p->presenter_->pass_through(); pt && pt->offers_dmabuf()) {
        const ImportTrust& t = compositor_dmabuf_trust(import);
        pt->allow_dmabuf(t.trusted, t.reason);
    }
    return p;
}

OutputPane::~OutputPane() {
    // GL objects (textures, EGLImages, fences) go while the context is current.
    (void)presenter_->context().make_current();
    held_.clear();
    cursor_texture_ = {};
    dmabuf_.reset();
    copy_.reset();
    renderer_.reset();
}

void OutputPane::log_once(const std::string& message) {
    if (std::find(logged_.begin(), logged_.end(), message) != logged_.end())
        return;
    logged_.push_back(message);
    VDM_INFO("output %u: %s", output_, message.c_str());
}

void OutputPane::disconnected() {
    // The mappings go with the Viewer's buffers: the last frame stays shown,
    // copied out now (headless held in place). The daemon released everything we held.
    copy_out_held("vdmabufd went away", false);
    held_.clear();
    if (PassThrough* pt = presenter_->pass_through()) {
        // The guest may reuse its memory now: keep a copy of the last frame,
        // shown (dimmed) with GL like the copy path's, not the live pages.
        const GLuint last = pass_through_shown_ ? pass_through_texture() : 0;
        leave_pass_through();
        pt->forget_all();
        if (last)
            shown_texture_ = last;
    }
    (void)presenter_->context().make_current();
    drop_zero_copy_frame(); // a zero-copy texture dies with its import
    dmabuf_->clear();
    copy_->invalidate();
    cpu_.invalidate(); // new buffers, damage unknown
    set_waiting(true);
}

void OutputPane::drop_zero_copy_frame() {
    if (!shown_texture_ || shown_texture_ == copy_->texture())
        return;
    if (!presenter_->is_window()) {
        if (dirty_)
            render();
        if (std::optional<Image> img = presenter_->read_native()) {
            if (shown_opaque_)
                img->fourcc = DRM_FORMAT_XRGB8888; // the X byte the copy path keeps is lost
            cpu_.adopt(std::move(*img));
            shown_in_memory_ = true;
        }
    }
    shown_texture_ = 0;
    zero_copy_buffer_ = nullptr;
}

void OutputPane::set_waiting(bool waiting) {
    waiting_ = waiting;
    dirty_ = true;
}

void OutputPane::buffer_gone(const vdmabuf_id& id) {
    (void)presenter_->context().make_current();
    // Its texture name dies here and may be handed out again: never draw it.
    if (GLuint tex = dmabuf_->cached(id); tex && tex == shown_texture_)
        drop_zero_copy_frame();
    dmabuf_->forget(id);
    if (PassThrough* pt = presenter_->pass_through()) {
        // Its mapping goes next: the picture stays, copied out now, or GL.
        if (pass_through_buffer_ && consumer::same_id(pass_through_buffer_->info.id, id) &&
            !copy_out_pass_through("its buffer is gone"))
            leave_pass_through();
        pt->forget(id);
    }
    // Its mapping goes next: the frame stays shown, copied out now.
    if (held_in_place_ && consumer::same_id(held_in_place_->id, id))
        copy_out_held("its buffer is gone", false);
    // The daemon counts our holds of a gone buffer as released.
    std::erase_if(held_, [&](const Held& h) { return consumer::same_id(h.id, id); });
}

bool OutputPane::present(BufferState& b, const consumer::PresentEvent& p) {
    bool zero_copy = false;
    uint64_t wl_serial = 0; // pass-through: the attach that shows it
    bool copied = false;    // wl_shm copy: the frame is in the viewer's memory
    if (presenter_->is_window()) {
        if (!show_pass_through(b, p, &wl_serial, &copied) && !show(b, p, &zero_copy))
            return false;
    } else if (zero_copy_allowed(b) && show_zero_copy(b)) {
        // Headless zero copy: drawn into the FBO by render(), held until the
        // draw of a later frame has been fenced and that fence signalled.
        zero_copy = true;
    } else if (hold_in_place(b, p)) {
        // "Release once the frame that used the buffer is flipped away":
        // headless shows the buffer itself until the next frame (or a copy
        // on demand) replaces it.
        ++frames_;
        waiting_ = false;
        dirty_ = true; // render() has nothing to draw; the loop counts latency there
        return true;
    } else if (!show_copy(b, p)) { // a format CpuFrame does not hold: through GL
        return false;
    }
    release_held_in_place(); // another path shows this frame
    for (Held& h : held_)
        h.superseded = true;
    if (copied) { // the frame is in the viewer's own memory: the guest's buffer goes back now
        release_(p.id, p.sequence);
    } else {
        Held h{p.id, p.sequence, zero_copy};
        h.pass_through = wl_serial != 0;
        h.wl_serial = wl_serial;
        if (!zero_copy && !h.pass_through)
            h.fence = EglFence::fence_or_finish(presenter_->context().display());
        held_.push_back(std::move(h));
    }
    ++frames_;
    waiting_ = false;
    dirty_ = true;
    enforce_hold_limit();
    return true;
}

void OutputPane::count_copied(int64_t bytes, const char* path) {
    stats_.bytes_last = bytes;
    stats_.bytes_total += uint64_t(bytes);
    if (stats_.bytes_per_frame.size() < 4096)
        stats_.bytes_per_frame.push_back(bytes);
    stats_.import_path = path;
}

bool OutputPane::zero_copy_allowed(const BufferState& b) {
    if (b.import->mode() != VDMABUF_IMPORT_DMABUF || b.dmabuf_failed)
        return false;
    // Decided in create(): no probe here, while a PRESENT is held.
    return dmabuf_import_trust(import_, presenter_->context(), *dmabuf_).trusted;
}

bool OutputPane::show_zero_copy(BufferState& b) {
    const consumer::BufferInfo& info = b.info;
    if (!presenter_->context().make_current())
        return false;
    std::string why = dmabuf_->check(info);
    const GLuint tex = why.empty() ? dmabuf_->texture(info, b.import->fd(0), &why) : 0;
    if (!tex) {
        b.dmabuf_failed = true;
        log_once("zero-copy import failed, falling back to the copy path: " + why);
        return false;
    }
    log_once("import path: zero-copy (EGL dma-buf import)");
    // Nothing to re-bind when the guest rewrote the buffer in place: the
    // texture samples the dma-buf's pages themselves (measured with llvmpipe
    // under kms_swrast; GPU drivers do so through implicit sync), and the
    // draw that reads them comes after the PRESENT that said they are ready.
    shown_in_memory_ = false;
    shown_texture_ = tex;
    zero_copy_buffer_ = &b;
    zero_copy_since_ns_ = now_ns();
    shown_width_ = info.width;
    shown_height_ = info.height;
    shown_opaque_ = !format_info(info.fourcc) || !format_info(info.fourcc)->has_alpha;
    count_copied(0, "dmabuf");
    return true;
}

bool OutputPane::show(BufferState& b, const consumer::PresentEvent& p, bool* zero_copy) {
    if (zero_copy_allowed(b) && show_zero_copy(b)) {
        *zero_copy = true;
        return true;
    }
    if (b.import->mode() != VDMABUF_IMPORT_DMABUF)
        log_once("import path: copy (vdmabufd hands out guest memory, not dma-bufs: "
                 "no /dev/udmabuf on this host)");
    return show_copy(b, p);
}

bool OutputPane::show_copy(BufferState& b, const consumer::PresentEvent& p) {
    const consumer::BufferInfo& info = b.info;
    shown_in_memory_ = false;
    if (!presenter_->context().make_current())
        return false;
    const uint8_t* map = b.import->map();
    if (!map)
        return false;
    // After a switch from a zero-copy frame the persistent texture is stale.
    if (shown_texture_ != copy_->texture())
        copy_->invalidate();
    int64_t bytes = copy_->upload(info, map, b.import->size(),
                                  std::span(p.damage, std::min<uint32_t>(p.n_damage, VDMABUF_MAX_DAMAGE)));
    if (bytes < 0)
        return false;
    count_copied(bytes, "copy");
    shown_texture_ = copy_->texture();
    shown_width_ = info.width;
    shown_height_ = info.height;
    shown_opaque_ = !format_info(info.fourcc)->has_alpha;
    return true;
}

void OutputPane::render() {
    if (pass_through_shown_) { // the compositor shows the frame: at most the bars
        render_pass_through();
        return;
    }
    // The pixels are readable in cpu_ or the held buffer: nothing to draw.
    if (shown_in_memory_ || held_in_place_) {
        dirty_ = false;
        return;
    }
    if (shown_width_ && shown_height_)
        presenter_->set_content_size(shown_width_, shown_height_);
    TargetSize t = presenter_->begin_frame();
    if (!t.width || !t.height)
        return;
    // Only a window dims while waiting: a headless target is the guest frame
    // byte for byte (screenshots, the picture kept after the import dies), as
    // the copy path's in-memory frame is.
    const bool dim = waiting_ && presenter_->is_window();
    renderer_->draw({shown_texture_, shown_width_, shown_height_, t.width, t.height, t.flip_y,
                     shown_opaque_, dim ? 0.4f : 1.0f});
    // A window without a host cursor shows the guest's over the frame;
    // headless never does (its target is the guest frame, byte for byte).
    if (presenter_->is_window() && !cursor_on_host_)
        draw_cursor(t.width, t.height, t.flip_y);
    if (presenter_->is_window())
        draw_hud(t.width, t.height, t.flip_y);
    presenter_->end_frame();
    const uint64_t draw = ++stats_.draws;
    // Zero copy: superseded buffers were sampled by earlier draws (and a
    // window's compositor may still read the swap before this one); a fence
    // after this draw, which shows their successor, tells when they are free.
    for (Held& h : held_) {
        if (!h.zero_copy)
            continue;
        if (!h.superseded)
            VDM_DEBUG("output %u: draw %llu samples buffer %s seq %llu", output_,
                      static_cast<unsigned long long>(draw), buffer_name(h.id).c_str(),
                      static_cast<unsigned long long>(h.sequence));
        else if (!h.fenced)
            fence_now(h);
    }
    dirty_ = false;
}

void OutputPane::fence_now(Held& h) {
    h.fence = EglFence::fence_or_finish(presenter_->context().display());
    h.fenced = true;
    h.fence_draw = stats_.draws;
    h.swap = presenter_->swap_count();
    h.fenced_ns = now_ns();
}

void OutputPane::release_held(Held& h) {
    if (h.pass_through) {
        PassThrough* pt = presenter_->pass_through();
        if (pt && pt->released(h.id, h.wl_serial))
            ++stats_.releases_after_wl_release;
        else // leaving with a compositor that never answered
            ++stats_.releases_before_wl_release;
    }
    if (h.zero_copy) {
        // Asked of EGL again here rather than trusted from the caller, so the
        // count and the log line state what was true at the release.
        const bool signalled = h.fenced && h.fence.signaled();
        if (signalled)
            ++stats_.releases_after_fence;
        else
            ++stats_.releases_before_fence;
        const std::string presented =
            presenter_->has_presentation_feedback()
                ? ", swap " + std::to_string(presenter_->presented_count()) + " presented"
                : "";
        if (signalled)
            VDM_DEBUG("output %u: release buffer %s seq %llu after its fence signalled "
                      "(placed after draw %llu%s)%s",
                      output_, buffer_name(h.id).c_str(),
                      static_cast<unsigned long long>(h.sequence),
                      static_cast<unsigned long long>(h.fence_draw),
                      h.fence ? "" : "; no EGL fences: glFinish", presented.c_str());
        else // a bug: the guest may now write pixels a draw still reads
            VDM_ERROR("output %u: release buffer %s seq %llu before its fence signalled "
                      "(placed after draw %llu)",
                      output_, buffer_name(h.id).c_str(),
                      static_cast<unsigned long long>(h.sequence),
                      static_cast<unsigned long long>(h.fence_draw));
    }
    release_(h.id, h.sequence);
}

void OutputPane::reap(bool wait) {
    if (copy_out_deadline_ms() == 0) {
        static constexpr const char* why = "held too long: vdmabufd's release timeout would take it";
        if (held_in_place_)
            copy_out_held(why, true);
        else if (zero_copy_buffer_)
            copy_out_zero_copy(why);
        else if (!copy_out_pass_through(why))
            pass_through_since_ns_ = now_ns(); // try again after another bound
    }
    if (wait)
        (void)presenter_->context().make_current();
    while (!held_.empty()) {
        Held& h = held_.front();
        // Pass-through: only once the compositor released the wl_buffer (a
        // newer commit makes it); vdmabufd's release timeout bounds the wait.
        if (h.pass_through) {
            PassThrough* pt = presenter_->pass_through();
            if (pt && !pt->released(h.id, h.wl_serial))
                break;
            release_held(h);
            held_.pop_front();
            continue;
        }
        // Zero copy: only once a later frame's swap is done with it.
        if (h.zero_copy && !h.fenced)
            break;
        bool releasable = wait ? h.fence.wait(EGL_FOREVER_KHR) : h.fence.signaled();
        if (!releasable)
            break;
        // The compositor may still scan out the old buffer until the frame
        // showing its successor is presented. No answer within 100 ms (hidden
        // or occluded window): the fence alone decides, the guest never waits.
        if (!wait && h.zero_copy && presenter_->has_presentation_feedback() &&
            presenter_->presented_count() < h.swap && now_ns() - h.fenced_ns < 100'000'000u)
            break;
        release_held(h);
        held_.pop_front();
    }
}

void OutputPane::release_all(bool keep_picture) {
    if (PassThrough* pt = presenter_->pass_through()) {
        leave_pass_through();
        pt->wait_released(); // the detach's commit makes the compositor release
    }
    if (keep_picture)
        copy_out_held("released: the picture stays", true);
    else
        release_held_in_place();
    reap(true);
    if (held_.empty())
        return;
    // Zero-copy frames still on screen: we are leaving, but not before the
    // draws that sampled them are done.
    (void)presenter_->context().make_current();
    for (Held& h : held_) {
        if (h.zero_copy && !h.fenced)
            fence_now(h);
        h.fence.wait(EGL_FOREVER_KHR);
        release_held(h);
    }
    held_.clear();
}

void OutputPane::enforce_hold_limit() {
    // Pass-through holds are never forced: they wait for the compositor's
    // release (bounded by vdmabufd's release timeout).
    auto gl_holds = [this] {
        return std::count_if(held_.begin(), held_.end(),
                             [](const Held& h) { return !h.pass_through; });
    };
    if (gl_holds() <= 2)
        return;
    render(); // puts the successor on screen so superseded zero-copy holds get fences
    for (auto it = held_.begin(); it != held_.end() && gl_holds() > 2;) {
        Held& h = *it;
        if (h.pass_through) {
            ++it;
            continue;
        }
        if (h.zero_copy && !h.fenced) // render() drew nothing (no target yet)
            fence_now(h);
        h.fence.wait(EGL_FOREVER_KHR);
        release_held(h);
        it = held_.erase(it);
    }
}

bool OutputPane::screenshot(const std::string& path, bool with_cursor, const PngOptions& png) {
    // The held buffer is this frame, whole (the guest does not write it until
    // RELEASE): copied now, and given back.
    copy_out_held("screenshot", true);
    if (shown_in_memory_) {
        // The guest frame as copied, never dimmed; the cursor blended over a
        // copy where asked.
        const bool cursor = with_cursor && cursor_visible_ && cursor_.width && cursor_.height;
        const Image* img = &cpu_.image();
        Image composed;
        if (cursor) {
            composed = cpu_.image();
            blend_cursor(composed, cursor_, cursor_x_, cursor_y_);
            img = &composed;
        }
        if (!write_png(path.c_str(), *img, png))
            return false;
        VDM_INFO("screenshot: %s (%ux%u)", path.c_str(), img->width, img->height);
        return true;
    }
    // Pass-through: the frame is in guest memory only; uploaded for this.
    const GLuint shown = pass_through_shown_ ? pass_through_texture() : shown_texture_;
    if (!shown) {
        VDM_ERROR("screenshot %s: no frame yet", path.c_str());
        return false;
    }
    std::optional<Image> img;
    if (dirty_)
        render(); // headless: the FBO takes the size of a frame not drawn yet
    if (!with_cursor)
        img = presenter_->read_native();
    if (!img) {
        // Render the frame at its native size offscreen (windows, or the cursor wanted).
        if (!presenter_->context().make_current())
            return false;
        auto fb = Framebuffer::create(shown_width_, shown_height_);
        if (!fb)
            return false;
        fb->bind();
        renderer_->draw({shown, shown_width_, shown_height_, shown_width_, shown_height_,
                         false, shown_opaque_, 1.0f});
        if (with_cursor)
            draw_cursor(shown_width_, shown_height_, false);
        img = fb->read(presenter_->context());
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        dirty_ = true; // the presenter's target was unbound
    }
    // The readback's alpha of an opaque frame is the renderer's 1.0, not the
    // guest's X byte: the PNG of an XRGB frame has no alpha, as the copy path's.
    if (shown_opaque_ && !with_cursor && img->fourcc == DRM_FORMAT_ARGB8888)
        img->fourcc = DRM_FORMAT_XRGB8888;
    if (!write_png(path.c_str(), *img, png))
        return false;
    VDM_INFO("screenshot: %s (%ux%u)", path.c_str(), img->width, img->height);
    return true;
}

std::optional<std::pair<uint32_t, uint32_t>> OutputPane::to_output(double x, double y) const {
    auto [tw, th] = presenter_->target_size();
    PassThrough* pt = presenter_->pass_through();
    if (pass_through_shown_ && pt && pt->one_to_one())
        return window_to_output_centred(x, y, shown_width_, shown_height_, tw, th);
    return window_to_output(x, y, shown_width_, shown_height_, tw, th);
}

} // namespace vdmabuf::viewer
