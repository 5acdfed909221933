#define VDM_LOG_SCOPE "output"
#include "output.hpp"

#include "export/export_buffer.hpp"
#include "render/colour.hpp"
#include "render/gl_setup.hpp"
#include "server.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <cinttypes>

namespace vdmabuf::compositor {

namespace {
// The bytes pixman made of {0.16, 0.20, 0.26} before: the reference screenshots'.
constexpr float kBackground[4] = {unorm8(40), unorm8(51), unorm8(66), 1.0f};
constexpr int kBackgroundTile = 256;
// wlroots 0.15's WLR_SWAPCHAIN_CAP: an output renders into at most this many buffers.
constexpr size_t kSwapchainCap = 4;
// A commit renders at once while the host has at most this many other frames of the
// output: the one a zero-copy viewer shows. More means the host is behind; its
// next RELEASE renders the newest damage instead.
constexpr size_t kImmediateMaxInFlight = 1;
} // namespace

Output::Output(Server& server, wlr_output* wlr, uint32_t index)
    : server_(server), wlr_(wlr), index_(index) {
    pixman_region32_init(&frame_damage_);
}

Output::~Output() {
    retry_timer_.reset();
    done_timer_.reset();
    if (immediate_)
        wl_event_source_remove(immediate_);
    // The scene output first: destroying the background damages every scene output,
    // and this one's wlr_output is half gone by now.
    if (scene_output_)
        wlr_scene_output_destroy(scene_output_);
    if (background_)
        wlr_scene_node_destroy(&background_->node);
    pixman_region32_fini(&frame_damage_);
}

void Output::layout_background(int x, int y) {
    if (background_)
        wlr_scene_node_destroy(&background_->node);
    background_ = wlr_scene_tree_create(&server_.background_tree_->node);
    wlr_scene_node_set_position(&background_->node, x, y);
    // Tiles, not one output-sized rect: wlroots 0.15's pixman renderer
    // allocates and fills an image the size of every rect it draws, so one
    // full-output rect would cost a full-output fill for a 64x64 damage.
    for (int ty = 0; ty < wlr_->height; ty += kBackgroundTile) {
        for (int tx = 0; tx < wlr_->width; tx += kBackgroundTile) {
            wlr_scene_rect* tile = wlr_scene_rect_create(
                &background_->node, std::min(kBackgroundTile, wlr_->width - tx),
                std::min(kBackgroundTile, wlr_->height - ty), kBackground);
            wlr_scene_node_set_position(&tile->node, tx, ty);
        }
    }
}

std::unique_ptr<Output> Output::create(Server& server, wlr_output* wlr, uint32_t index,
                                       const OutputMode& mode) {
    if (!wlr_output_init_render(wlr, server.output_allocator(), server.renderer_.get())) {
        VDM_ERROR("wlr_output_init_render for %s failed", wlr->name);
        return nullptr;
    }
    wlr_output_set_custom_mode(wlr, mode.width, mode.height, mode.refresh_mhz);
    wlr_output_enable(wlr, true);
    if (!wlr_output_commit(wlr)) {
        VDM_ERROR("enabling output %s (%dx%d@%d mHz) failed", wlr->name, mode.width, mode.height,
                  mode.refresh_mhz);
        return nullptr;
    }
    std::unique_ptr<Output> output(new Output(server, wlr, index));
    Output* self = output.get();
    self->retry_timer_.reset(wl_event_loop_add_timer(server.loop_, &Output::handle_retry, self));
    self->done_timer_.reset(wl_event_loop_add_timer(server.loop_, &Output::handle_done_timer, self));
    wlr_output_layout_add_auto(server.layout_.get(), wlr);
    self->scene_output_ = wlr_scene_get_scene_output(server.scene_, wlr);
    if (!self->scene_output_)
        self->scene_output_ = wlr_scene_output_create(server.scene_, wlr);

    const wlr_box* box = wlr_output_layout_get_box(server.layout_.get(), wlr);
    self->layout_background(box ? box->x : 0, box ? box->y : 0);

    self->frame_.connect(&wlr->events.frame, [self](void*) { self->handle_frame(); });
    self->needs_frame_.connect(&wlr->events.needs_frame,
                               [self](wlr_output*) { self->handle_needs_frame(); });
    self->precommit_.connect(&wlr->events.precommit,
                             [self](wlr_output_event_precommit*) { self->handle_precommit(); });
    self->commit_.connect(&wlr->events.commit,
                          [self](wlr_output_event_commit* e) { self->handle_commit(e); });
    self->mode_.connect(&wlr->events.mode, [self](wlr_output*) { self->handle_mode(); });
    self->destroy_.connect(&wlr->events.destroy, [self](wlr_output*) {
        VDM_INFO("output %u (%s) destroyed", self->index_, self->wlr_->name);
        const RenderStats& r = self->render_stats_;
        VDM_INFO("output %u render: %" PRIu64 " frames culled (%.1f Mpx drawn, %.1f Mpx not "
                 "drawn under opaque nodes), %" PRIu64 " frames by wlr_scene_output_commit",
                 self->index_, r.frames_culled, double(r.drawn_pixels) / 1e6,
                 double(r.culled_pixels) / 1e6, r.frames_wlroots);
        self->announce(false);
        self->server_.remove_output(self); // last statement: deletes self
    });
    wlr->data = self;
    VDM_INFO("output %u: %s %dx%d@%.2f Hz", index, wlr->name, wlr->width, wlr->height,
             wlr->refresh / 1000.0);
    self->announce(true);
    return output;
}

bool Output::set_mode(int32_t width, int32_t height, int32_t refresh_mhz) {
    wlr_output_set_custom_mode(wlr_, width, height, refresh_mhz > 0 ? refresh_mhz : wlr_->refresh);
    if (!wlr_output_commit(wlr_)) {
        VDM_ERROR("output %u: mode %dx%d@%d mHz refused", index_, width, height, refresh_mhz);
        wlr_output_rollback(wlr_);
        return false;
    }
    return true;
}

void Output::handle_mode() {
    VDM_INFO("output %u: mode %dx%d@%.2f Hz", index_, wlr_->width, wlr_->height,
             wlr_->refresh / 1000.0);
    layout_background(background_->node.state.x, background_->node.state.y);
    // The old swapchain's buffers go (those the host holds once released); the
    // next frame allocates a new one at the new size, so nothing is busy now.
    busy_ = false;
    announce(true);
    server_.handle_output_mode(this);
}

void Output::follow_layout() {
    const wlr_box* box = wlr_output_layout_get_box(server_.layout_.get(), wlr_);
    if (box && background_)
        wlr_scene_node_set_position(&background_->node, box->x, box->y);
}

void Output::announce(bool connected) {
    frontend::Device* device = server_.link_.device();
    if (!device || !(device->features() & (1ull << VDMABUF_F_HOTPLUG)))
        return;
    const bool ok = connected
                        ? device->announce_output(index_, true, static_cast<uint32_t>(wlr_->width),
                                                  static_cast<uint32_t>(wlr_->height),
                                                  static_cast<uint32_t>(std::max(0, wlr_->refresh)),
                                                  wlr_->name)
                        : device->announce_output(index_, false, 0, 0, 0, wlr_->name);
    if (!ok)
        VDM_ERRNO("OUTPUT %u (%s) to the device", index_, wlr_->name);
}

int Output::refresh_interval_ms() const {
    const int32_t mhz = wlr_->refresh > 0 ? wlr_->refresh : 60000;
    return std::max(1, static_cast<int>(1000000 / mhz));
}

bool Output::damage_pending() const {
    return wlr_->needs_frame || pixman_region32_not_empty(&scene_output_->damage->current);
}

bool Output::throttled(uint64_t now) const {
    return server_.options_.max_fps > 0 && last_commit_ns_ != 0 &&
           now - last_commit_ns_ < 1000000000ull / server_.options_.max_fps;
}

void Output::handle_frame() {
    const uint64_t now = now_ns();
    if (throttled(now)) {
        ++stats_.frames_throttled;
        // Clients wait for this frame: their callbacks follow the capped rate.
        const uint64_t interval = 1000000000ull / server_.options_.max_fps;
        const uint64_t wait_ms = (interval - (now - last_commit_ns_) + 999999) / 1000000;
        wl_event_source_timer_update(retry_timer_.get(), static_cast<int>(wait_ms));
        skipped_ = true;
        return;
    }
    if (busy_) {
        // Client commits keep scheduling frames; none can render until a
        // buffer comes back, so answer their frame callbacks and wait.
        ++stats_.frames_skipped_busy;
        skip_frame(refresh_interval_ms());
        return;
    }
    if (!server_.link_.device()) {
        ++stats_.frames_skipped_offline;
        skip_frame(refresh_interval_ms());
        return;
    }
    if (!render(now)) {
        // Until a buffer comes back (handle_buffer_free) the timer only paces
        // frame callbacks; retrying the render would fail the same way.
        skip_frame(refresh_interval_ms());
        return;
    }
    skipped_ = false;
    send_frame_done();
}

void Output::send_frame_done() {
    const uint64_t now = now_ns();
    const uint64_t mhz = wlr_->refresh > 0 ? uint64_t(wlr_->refresh) : 60000u;
    const uint64_t interval = 1'000'000'000'000ull / mhz;
    // Half a millisecond early is on time: the timer has ms granularity.
    if (last_done_ns_ && now - last_done_ns_ + 500'000u < interval) {
        if (!done_owed_) {
            done_owed_ = true;
            const uint64_t wait = interval - (now - last_done_ns_);
            wl_event_source_timer_update(done_timer_.get(),
                                         std::max(1, int((wait + 500'000u) / 1'000'000u)));
        }
        return;
    }
    done_owed_ = false;
    // On the beat while frames keep coming (a late timer does not slow the
    // rate down); from now after a pause.
    last_done_ns_ = last_done_ns_ && now - last_done_ns_ < 2 * interval ? last_done_ns_ + interval : now;
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    wlr_scene_output_send_frame_done(scene_output_, &ts);
}

int Output::handle_done_timer(void* data) {
    auto* self = static_cast<Output*>(data);
    if (self->done_owed_) {
        self->done_owed_ = false;
        self->send_frame_done();
    }
    return 0;
}

bool Output::render(uint64_t now) {
    // The headless backend sets frame_pending at each buffer commit and clears it
    // only at its next refresh tick, and wlroots refuses a buffer while it is set.
    // On headless it means nothing but "the tick has not come yet", and the
    // immediate path must not wait for the tick; it is restored if nothing is
    // committed, so wlr_output_schedule_frame keeps its meaning.
    const bool was_pending = wlr_->frame_pending;
    wlr_->frame_pending = false;
    rendering_ = true;
    committed_ = false;
    // The culled path blits with pixman; GLES2 draws the scene as wlroots does.
    const bool by_wlroots = server_.options_.render_wlroots || server_.gl();
    const bool ok = commit_scene_output(
        scene_output_, by_wlroots ? RenderPath::wlroots : RenderPath::culled, render_stats_);
    rendering_ = false;
    if (!committed_)
        wlr_->frame_pending = was_pending;
    if (!ok) {
        // attach_render failed: every buffer of the swapchain is held by the host.
        ++stats_.frames_skipped_busy;
        VDM_DEBUG("output %u: no free buffer (%zu in flight), frame skipped", index_,
                  server_.exporter_.in_flight());
        busy_ = true;
        return false;
    }
    if (committed_) {
        last_commit_ns_ = now;
        ++stats_.frames_committed;
        // Every buffer is with the host now: no render can succeed (each failed
        // attempt costs a wlroots error line) until one comes back.
        busy_ = server_.exporter_.in_flight(index_) >= kSwapchainCap;
    }
    return true;
}

void Output::handle_needs_frame() {
    // wlroots raises needs_frame once per frame, on the first damage after a
    // commit: a client commit brought something to show.
    if (!immediate_)
        immediate_ = wl_event_loop_add_idle(server_.loop_, &Output::handle_immediate, this);
}

void Output::handle_immediate(void* data) {
    auto* self = static_cast<Output*>(data);
    self->immediate_ = nullptr; // libwayland frees one-shot idle sources itself
    const uint64_t now = now_ns();
    // Otherwise the tick, the retry timer or the next RELEASE renders it.
    if (self->busy_ || !self->server_.link_.device() || !self->damage_pending() ||
        self->throttled(now) ||
        self->server_.exporter_.in_flight(self->index_) > kImmediateMaxInFlight)
        return;
    if (self->render(now) && self->committed_)
        ++self->stats_.frames_immediate;
}

void Output::skip_frame(int delay_ms) {
    send_frame_done();
    // Only damage keeps the retry going: an idle desktop stops here.
    skipped_ = damage_pending();
    if (skipped_)
        wl_event_source_timer_update(retry_timer_.get(), delay_ms);
}

int Output::handle_retry(void* data) {
    auto* self = static_cast<Output*>(data);
    if (self->busy_)
        self->skip_frame(self->refresh_interval_ms());
    else
        wlr_output_schedule_frame(self->wlr_);
    return 0;
}

void Output::handle_buffer_free() {
    busy_ = server_.exporter_.in_flight(index_) >= kSwapchainCap;
    if (busy_)
        return; // a buffer of an earlier swapchain: this one's are all still held
    if (damage_pending())
        handle_needs_frame(); // the host caught up: show the newest damage now
    if (skipped_ && server_.options_.max_fps == 0)
        wlr_output_schedule_frame(wlr_);
}

void Output::handle_precommit() {
    if (!rendering_ || !(wlr_->pending.committed & WLR_OUTPUT_STATE_BUFFER))
        return;
    // The scene sets the frame's damage (what changed since the previous frame, in
    // buffer coordinates) from its wlr_output_damage; without it, the whole frame.
    if (wlr_->pending.committed & WLR_OUTPUT_STATE_DAMAGE) {
        pixman_region32_copy(&frame_damage_, &wlr_->pending.damage);
    } else {
        pixman_region32_fini(&frame_damage_);
        pixman_region32_init_rect(&frame_damage_, 0, 0, static_cast<unsigned>(wlr_->width),
                                  static_cast<unsigned>(wlr_->height));
    }
}

void Output::handle_commit(wlr_output_event_commit* event) {
    if (!rendering_ || !event->buffer)
        return;
    committed_ = true;
    ExportBuffer* buffer = ExportBuffer::from_wlr(event->buffer);
    if (!buffer) {
        VDM_WARN("output %u committed a buffer of another allocator", index_);
        return;
    }
    if (!pixman_region32_not_empty(&frame_damage_))
        return; // e.g. a screencopy-forced frame: the host already has this picture
    // The host reads the buffer as soon as PRESENT reaches it (a lane run showed
    // 1,220 background pixels still undrawn without this on the GL path).
    finish_gl_rendering(server_.renderer_.get());
    (void)server_.exporter_.present(*buffer, index_, &frame_damage_, now_ns());
}

void Output::repaint_all() {
    wlr_output_damage_add_whole(scene_output_->damage); // schedules a frame
}

void Output::reset_swapchain() {
    if (wlr_->swapchain) {
        wlr_swapchain_destroy(wlr_->swapchain);
        wlr_->swapchain = nullptr;
    }
    busy_ = false; // the new swapchain holds nothing
    repaint_all();
}

} // namespace vdmabuf::compositor
