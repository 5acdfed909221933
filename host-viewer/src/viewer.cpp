#define VDM_LOG_SCOPE "viewer"
#include "viewer.hpp"

#include "egl/framebuffer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <poll.h>

namespace vdmabuf::viewer {

Viewer::Viewer(const Options& options, std::unique_ptr<Presenter> presenter)
    : options_(options), presenter_(std::move(presenter)), hud_(options.hud) {}

std::unique_ptr<Viewer> Viewer::create(const Options& options, std::unique_ptr<Presenter> presenter) {
    std::unique_ptr<Viewer> v(new Viewer(options, std::move(presenter)));
    const EglContext& ctx = v->presenter_->context();
    if (!ctx.make_current())
        return nullptr;
    v->renderer_ = Renderer::create();
    if (!v->renderer_)
        return nullptr;
    v->copy_ = std::make_unique<CopyImporter>(ctx);
    v->dmabuf_ = std::make_unique<DmabufImporter>(ctx);
    if (!v->dmabuf_->unavailable().empty())
        VDM_INFO("zero-copy import unavailable: %s; using the copy path",
                 v->dmabuf_->unavailable().c_str());
    return v;
}

Viewer::~Viewer() {
    // GL objects (textures, EGLImages, fences) go while the context is current.
    (void)presenter_->context().make_current();
    held_.clear();
    dmabuf_.reset();
    copy_.reset();
    renderer_.reset();
}

void Viewer::log_once(const std::string& message) {
    if (logged_.insert(message).second)
        VDM_INFO("%s", message.c_str());
}

void Viewer::set_waiting(bool waiting) {
    if (waiting == waiting_)
        return;
    waiting_ = waiting;
    // On stdout for whoever started us (tests, vdmabuf-run), like the ready line.
    std::printf("vdmabuf-viewer: %s\n", waiting ? "waiting" : "showing");
    std::fflush(stdout);
}

bool Viewer::connect() {
    std::string path = options_.connect.empty() ? consumer::Client::default_path() : options_.connect;
    client_ = consumer::Client::connect(path, VDMABUF_ROLE_VIEWER, options_.guest, options_.output);
    if (!client_)
        return false;
    consumer::Callbacks cb;
    cb.on_guest_new = [this](uint32_t, std::string_view name) {
        guest_name_ = std::string(name);
        presenter_->set_title("vdmabuf-viewer: " + guest_name_ + "/" +
                              std::to_string(options_.output));
    };
    cb.on_guest_gone = [this](uint32_t) {
        set_waiting(true);
        dirty_ = true;
    };
    cb.on_buffer_new = [this](const consumer::BufferInfo& info) {
        buffers_[BufferKey(info.id)] = BufferState{info, std::nullopt, nullptr, false};
    };
    cb.on_present = [this](const consumer::PresentEvent& p) { handle_present(p); };
    cb.on_buffer_gone = [this](const vdmabuf_id& id) { handle_buffer_gone(id); };
    cb.on_error = [](uint32_t request, uint32_t code, uint64_t) {
        VDM_WARN("vdmabufd: error %u for request 0x%x", code, request);
    };
    cb.on_disconnect = [this] { disconnected_ = true; };
    client_->set_callbacks(std::move(cb));
    disconnected_ = false;
    VDM_INFO("connected to %s (import mode %s)", path.c_str(),
             client_->import_mode() == VDMABUF_IMPORT_DMABUF ? "dmabuf" : "memfd");
    if (!ready_printed_) {
        std::printf("vdmabuf-viewer: ready\n");
        std::fflush(stdout);
        ready_printed_ = true;
    }
    return true;
}

void Viewer::handle_disconnect() {
    VDM_WARN("vdmabufd went away; keeping the last frame and reconnecting");
    // The daemon released everything we held when we disconnected.
    held_.clear();
    if (shown_texture_ != copy_->texture())
        shown_texture_ = 0; // a zero-copy texture dies with its import
    dmabuf_->clear();
    buffers_.clear();
    copy_->invalidate();
    client_.reset();
    set_waiting(true);
    dirty_ = true;
}

void Viewer::handle_buffer_gone(const vdmabuf_id& id) {
    auto it = buffers_.find(BufferKey(id));
    if (it == buffers_.end())
        return;
    (void)presenter_->context().make_current();
    dmabuf_->forget(id);
    // The daemon counts our holds of a gone buffer as released.
    std::erase_if(held_, [&](const Held& h) { return consumer::same_id(h.id, id); });
    buffers_.erase(it);
}

bool Viewer::release(const vdmabuf_id& id, uint64_t sequence) {
    if (!client_)
        return false;
    ++stats_.releases;
    return client_->release(id, sequence);
}

void Viewer::handle_present(const consumer::PresentEvent& p) {
    auto it = buffers_.find(BufferKey(p.id));
    if (done_ || p.output != options_.output || it == buffers_.end()) {
        if (it == buffers_.end())
            VDM_WARN("PRESENT of an unknown buffer; released");
        release(p.id, p.sequence);
        return;
    }
    bool zero_copy = false;
    if (!show(it->second, p, &zero_copy)) {
        release(p.id, p.sequence);
        return;
    }
    for (Held& h : held_)
        h.superseded = true;
    Held h{p.id, p.sequence, zero_copy, false, false, {}};
    if (!zero_copy)
        h.fence = EglFence::fence_or_finish(presenter_->context().display());
    held_.push_back(std::move(h));
    ++stats_.frames;
    pending_latency_ns_ = p.host_time_ns;
    set_waiting(false);
    dirty_ = true;
    if (options_.frames && stats_.frames >= options_.frames)
        done_ = true;
    enforce_hold_limit();
}

bool Viewer::show(BufferState& b, const consumer::PresentEvent& p, bool* zero_copy) {
    const consumer::BufferInfo& info = b.info;
    if (!presenter_->context().make_current())
        return false;
    if (!b.import) {
        b.import = client_->import(info.id);
        if (!b.import)
            return false;
    }
    if (b.import->mode() == VDMABUF_IMPORT_DMABUF && !b.dmabuf_failed) {
        std::string why = dmabuf_->check(info);
        GLuint tex = why.empty() ? dmabuf_->texture(info, b.import->fd(0), &why) : 0;
        if (tex) {
            log_once("import path: zero-copy (EGL dma-buf import)");
            shown_texture_ = tex;
            shown_width_ = info.width;
            shown_height_ = info.height;
            shown_opaque_ = !format_info(info.fourcc) || !format_info(info.fourcc)->has_alpha;
            stats_.import_path = "dmabuf";
            stats_.bytes_last = 0;
            *zero_copy = true;
            return true;
        }
        b.dmabuf_failed = true;
        log_once("zero-copy import failed, falling back to the copy path: " + why);
    } else if (b.import->mode() != VDMABUF_IMPORT_DMABUF) {
        log_once("import path: copy (vdmabufd hands out guest memory, not dma-bufs: "
                 "no /dev/udmabuf on this host)");
    }
    if (!b.map)
        b.map = b.import->map();
    if (!b.map)
        return false;
    // After a switch from a zero-copy frame the persistent texture is stale.
    if (shown_texture_ != copy_->texture())
        copy_->invalidate();
    int64_t bytes = copy_->upload(info, b.map, b.import->size(),
                                  std::span(p.damage, std::min<uint32_t>(p.n_damage, VDMABUF_MAX_DAMAGE)));
    if (bytes < 0)
        return false;
    stats_.bytes_last = bytes;
    stats_.bytes_total += uint64_t(bytes);
    if (stats_.bytes_per_frame.size() < 4096)
        stats_.bytes_per_frame.push_back(bytes);
    stats_.import_path = "copy";
    shown_texture_ = copy_->texture();
    shown_width_ = info.width;
    shown_height_ = info.height;
    shown_opaque_ = !format_info(info.fourcc)->has_alpha;
    return true;
}

void Viewer::render() {
    if (shown_width_ && shown_height_)
        presenter_->set_content_size(shown_width_, shown_height_);
    TargetSize t = presenter_->begin_frame();
    if (!t.width || !t.height)
        return;
    renderer_->draw({shown_texture_, shown_width_, shown_height_, t.width, t.height, t.flip_y,
                     shown_opaque_, waiting_ ? 0.4f : 1.0f});
    presenter_->end_frame();
    ++stats_.draws;
    ++hud_frames_;
    if (pending_latency_ns_) {
        uint64_t now = now_ns();
        if (now > pending_latency_ns_)
            stats_.latency_us.add((now - pending_latency_ns_) / 1000);
        pending_latency_ns_ = 0;
    }
    // Zero copy: superseded buffers may be read by the swap just queued; a
    // fence after it tells when they are free.
    for (Held& h : held_)
        if (h.zero_copy && h.superseded && !h.fenced) {
            h.fence = EglFence::fence_or_finish(presenter_->context().display());
            h.fenced = true;
            h.swap = presenter_->swap_count();
            h.fenced_ns = now_ns();
        }
    dirty_ = false;
}

void Viewer::reap(bool wait) {
    while (!held_.empty()) {
        Held& h = held_.front();
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
        release(h.id, h.sequence);
        held_.pop_front();
    }
}

void Viewer::enforce_hold_limit() {
    if (held_.size() <= 2)
        return;
    render(); // puts the successor on screen so superseded zero-copy holds get fences
    while (held_.size() > 2) {
        Held& h = held_.front();
        if (h.fence)
            h.fence.wait(EGL_FOREVER_KHR);
        release(h.id, h.sequence);
        held_.pop_front();
    }
}

bool Viewer::screenshot(const std::string& path) {
    if (!shown_texture_) {
        VDM_ERROR("screenshot %s: no frame yet", path.c_str());
        return false;
    }
    std::optional<Image> img = presenter_->read_native();
    if (!img) {
        // Window mode: render the imported frame at its native size offscreen.
        if (!presenter_->context().make_current())
            return false;
        auto fb = Framebuffer::create(shown_width_, shown_height_);
        if (!fb)
            return false;
        fb->bind();
        renderer_->draw({shown_texture_, shown_width_, shown_height_, shown_width_, shown_height_,
                         false, shown_opaque_, 1.0f});
        img = fb->read(presenter_->context());
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
    }
    if (!write_png(path.c_str(), *img))
        return false;
    VDM_INFO("screenshot: %s (%ux%u)", path.c_str(), img->width, img->height);
    return true;
}

void Viewer::hud_tick() {
    uint64_t now = now_ns();
    if (!hud_last_ns_) {
        hud_last_ns_ = now;
        return;
    }
    if (now - hud_last_ns_ < 1'000'000'000u)
        return;
    double fps = double(hud_frames_) * 1e9 / double(now - hud_last_ns_);
    char line[256];
    std::snprintf(line, sizeof line, "%.1f fps, %s, %lld B/frame, latency p50 %llu us p99 %llu us",
                  fps, stats_.import_path.c_str(), static_cast<long long>(stats_.bytes_last),
                  static_cast<unsigned long long>(stats_.latency_us.median()),
                  static_cast<unsigned long long>(stats_.latency_us.percentile(99)));
    std::fprintf(stderr, "hud: %s\n", line);
    presenter_->set_title("vdmabuf-viewer: " + guest_name_ + " | " + line);
    hud_last_ns_ = now;
    hud_frames_ = 0;
}

void Viewer::write_stats_json() const {
    FILE* f = std::fopen(options_.stats_json.c_str(), "w");
    if (!f) {
        VDM_ERRNO("fopen(%s)", options_.stats_json.c_str());
        return;
    }
    std::fprintf(f,
                 "{\"presenter\": \"%s\", \"import_path\": \"%s\", \"frames\": %llu, "
                 "\"draws\": %llu, \"releases\": %llu, \"reconnects\": %llu, "
                 "\"bytes_uploaded_total\": %llu, \"bytes_uploaded_last\": %lld, "
                 "\"bytes_uploaded_per_frame\": [",
                 presenter_->name(), stats_.import_path.c_str(),
                 static_cast<unsigned long long>(stats_.frames),
                 static_cast<unsigned long long>(stats_.draws),
                 static_cast<unsigned long long>(stats_.releases),
                 static_cast<unsigned long long>(stats_.reconnects),
                 static_cast<unsigned long long>(stats_.bytes_total),
                 static_cast<long long>(stats_.bytes_last));
    for (size_t i = 0; i < stats_.bytes_per_frame.size(); ++i)
        std::fprintf(f, "%s%lld", i ? ", " : "", static_cast<long long>(stats_.bytes_per_frame[i]));
    std::fprintf(f, "]}\n");
    std::fclose(f);
}

int Viewer::run(const volatile int* stop_flag) {
    uint64_t backoff_ms = 100, next_attempt_ns = 0;
    if (!connect()) {
        if (options_.no_reconnect)
            return 1;
        VDM_WARN("cannot connect yet; retrying with backoff");
    }
    dirty_ = true;
    int exit_code = 0;
    while (!*stop_flag && !presenter_->closed()) {
        if (!client_ && !options_.no_reconnect && now_ns() >= next_attempt_ns) {
            if (connect()) {
                ++stats_.reconnects;
                backoff_ms = 100;
            } else {
                next_attempt_ns = now_ns() + backoff_ms * 1'000'000u;
                backoff_ms = std::min<uint64_t>(backoff_ms * 2, 500); // a restarted vdmabufd is found fast
            }
        }
        presenter_->prepare_poll();
        pollfd fds[2] = {{client_ ? client_->fd() : -1, POLLIN, 0}, {presenter_->fd(), POLLIN, 0}};
        int timeout = held_.empty() ? (client_ ? 250 : 50) : 1;
        if (dirty_)
            timeout = 0;
        poll(fds, 2, timeout);
        presenter_->dispatch(fds[1].revents != 0);
        if (presenter_->take_redraw())
            dirty_ = true;
        if (client_ && client_->dispatch() < 0)
            disconnected_ = true;
        if (disconnected_ && client_) {
            if (options_.no_reconnect) {
                exit_code = 1;
                break;
            }
            handle_disconnect();
            next_attempt_ns = now_ns() + backoff_ms * 1'000'000u;
        }
        if (dirty_)
            render();
        reap(false);
        if (presenter_->take_hud_key())
            hud_ = !hud_;
        if (hud_)
            hud_tick();
        if (presenter_->take_screenshot_key()) {
            char name[64];
            std::time_t t = std::time(nullptr);
            std::strftime(name, sizeof name, "vdmabuf-%Y%m%d-%H%M%S.png", std::localtime(&t));
            (void)screenshot(name);
        }
        if (done_)
            break;
    }
    if (done_ && !options_.screenshot.empty() && !screenshot(options_.screenshot))
        exit_code = 1;
    else if (!done_ && !options_.screenshot.empty() && shown_texture_)
        (void)screenshot(options_.screenshot);
    (void)presenter_->context().make_current();
    reap(true);
    for (Held& h : held_) // zero-copy frames still on screen: we are leaving
        release(h.id, h.sequence);
    held_.clear();
    if (!options_.stats_json.empty())
        write_stats_json();
    VDM_INFO("exit: %llu frames, %llu releases, %llu bytes uploaded",
             static_cast<unsigned long long>(stats_.frames),
             static_cast<unsigned long long>(stats_.releases),
             static_cast<unsigned long long>(stats_.bytes_total));
    return exit_code;
}

} // namespace vdmabuf::viewer
