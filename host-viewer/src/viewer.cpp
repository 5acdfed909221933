// The Viewer's connection and the daemon's events: guests, buffers,
// PRESENTs routed to their output's pane, outputs (panes opened, followed by
// name, closed), the guest's cursor. Input: viewer_input.cpp; the script:
// viewer_commands.cpp; the loop: viewer_loop.cpp.
#define VDM_LOG_SCOPE "viewer"
#include "viewer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vdmabuf::viewer {

Viewer::Viewer(const Options& options) : options_(options), hud_(options.hud) {}

std::unique_ptr<Viewer> Viewer::create(const Options& options, std::unique_ptr<Presenter> presenter,
                                       std::vector<Command> commands) {
    std::unique_ptr<Viewer> v(new Viewer(options));
    v->presenter_options_.fullscreen = options.fullscreen;
    v->presenter_options_.pass_through = options.pass_through;
    v->presenter_kind_ = presenter->name();
    v->commands_ = std::move(commands);
    std::optional<KeymapName> keymap;
    if (!options.keymap.empty() && !(keymap = parse_keymap(options.keymap))) {
        VDM_ERROR("--keymap %s: expected LAYOUT[:VARIANT]", options.keymap.c_str());
        return nullptr;
    }
    if (!keymap) {
        if (auto host = presenter->host_keymap())
            keymap = parse_keymap(*host);
    }
    v->keymap_ = keymap ? *keymap : environment_keymap();
    VDM_INFO("keymap for the guest: %s%s%s", v->keymap_.layout.c_str(),
             v->keymap_.variant.empty() ? "" : ":", v->keymap_.variant.c_str());
    uint32_t first = options.all_outputs || !options.output_name.empty() ? kUnresolved
                                                                          : options.output;
    auto pane = OutputPane::create(
        first, std::move(presenter), v->stats_,
        [p = v.get()](const vdmabuf_id& id, uint64_t seq) { return p->release(id, seq); },
        options.import);
    if (!pane)
        return nullptr;
    v->panes_[first] = std::move(pane);
    return v;
}

Viewer::~Viewer() {
    panes_.clear(); // GL state first, while the imports it samples still exist
    buffers_.clear();
}

void Viewer::log_once(const std::string& message) {
    if (logged_.insert(message).second)
        VDM_INFO("%s", message.c_str());
}

void Viewer::set_waiting(bool waiting) {
    if (waiting == waiting_)
        return;
    waiting_ = waiting;
    if (!waiting)
        missing_said_ = true; // a frame came: nothing to explain on this connection
    // On stdout for whoever started us (tests, vdmabuf-run), like the ready line.
    std::printf("vdmabuf-viewer: %s\n", waiting ? "waiting" : "showing");
    std::fflush(stdout);
}

OutputPane* Viewer::primary() {
    return panes_.empty() ? nullptr : panes_.begin()->second.get();
}

bool Viewer::connect() {
    std::string path = options_.connect.empty() ? consumer::Client::default_path() : options_.connect;
    // A numeric --output filters at the daemon; names and --all-outputs need every output.
    uint32_t filter = options_.all_outputs || !options_.output_name.empty()
                          ? VDMABUF_CONSUMER_ANY
                          : options_.output;
    // While vdmabufd is down this runs every 0.5 s: the library's ERROR is
    // shown for the first failure of an outage only, then a line only when
    // the reason changes (e.g. no socket -> connection refused).
    const log::Level level = log::level();
    if (connect_failures_ > 0)
        log::set_level(log::Level::silent);
    errno = 0;
    client_ = consumer::Client::connect(path, VDMABUF_ROLE_VIEWER, options_.guest, filter);
    const int err = errno;
    log::set_level(level);
    if (!client_) {
        if (connect_failures_ == 0)
            VDM_WARN("vdmabufd is not reachable at %s; retrying quietly every 0.5 s",
                     path.c_str());
        else if (err != connect_errno_)
            VDM_WARN("vdmabufd at %s: still not reachable, now: %s", path.c_str(),
                     err ? std::strerror(err) : "no answer");
        ++connect_failures_;
        connect_errno_ = err;
        return false;
    }
    if (connect_failures_ > 1)
        VDM_INFO("vdmabufd reachable again after %u attempts", connect_failures_);
    connect_failures_ = 0;
    connected_ns_ = now_ns();
    missing_said_ = false;
    consumer::Callbacks cb;
    cb.on_guest_new = [this](uint32_t guest, std::string_view name) {
        if (guest_ != kNoGuest && guest_ != guest) {
            log_once("another guest (" + std::string(name) + ") ignored; pick one with --guest");
            return;
        }
        guest_ = guest;
        guest_name_ = std::string(name);
        keymap_sent_ = false;
        for (auto& [output, pane] : panes_)
            pane->presenter().set_title("vdmabuf-viewer: " + guest_name_ + "/" +
                                        (pane->name.empty() ? std::to_string(output) : pane->name));
    };
    cb.on_guest_gone = [this](uint32_t guest) {
        if (guest != guest_)
            return;
        guest_ = kNoGuest;
        set_waiting(true);
        for (auto& [output, pane] : panes_)
            pane->set_waiting(true);
    };
    cb.on_buffer_new = [this](const consumer::BufferInfo& info) {
        buffers_[BufferKey(info.id)] = BufferState{info, std::nullopt, false};
    };
    cb.on_present = [this](const consumer::PresentEvent& p) { handle_present(p); };
    cb.on_buffer_gone = [this](const vdmabuf_id& id) { handle_buffer_gone(id); };
    cb.on_output = [this](const consumer::OutputInfo& o) { handle_output(o); };
    cb.on_cursor_image = [this](const consumer::CursorImage& c) { handle_cursor_image(c); };
    cb.on_cursor_move = [this](const consumer::CursorMove& c) { handle_cursor_move(c); };
    cb.on_error = [this](uint32_t request, uint32_t code, uint64_t) {
        if (code == VDMABUF_C_ERR_UNSUPPORTED)
            log_once("the guest does not take input/mode/hotplug events (no feature bit)");
        else if (code == VDMABUF_C_ERR_NOT_HELD && request == VDMABUF_C_RELEASE)
            // Taken back before we released it: its guest went, or we were slower
            // than the release timeout (vdmabufd counts that one).
            log_once("vdmabufd had taken back a frame before its RELEASE (guest gone or "
                     "release timeout)");
        else
            VDM_WARN("vdmabufd: error %u for request 0x%x", code, request);
    };
    cb.on_disconnect = [this] { disconnected_ = true; };
    client_->set_callbacks(std::move(cb));
    disconnected_ = false;
    VDM_INFO("connected to %s (import mode %s, release timeout %u ms)", path.c_str(),
             client_->import_mode() == VDMABUF_IMPORT_DMABUF ? "dmabuf" : "memfd",
             client_->release_timeout_ms());
    for (auto& [output, pane] : panes_)
        pane->set_daemon_release_timeout(client_->release_timeout_ms());
    if (!ready_printed_) {
        std::printf("vdmabuf-viewer: ready\n");
        std::fflush(stdout);
        ready_printed_ = true;
    }
    return true;
}

void Viewer::handle_disconnect() {
    VDM_WARN("vdmabufd went away; keeping the last frame and reconnecting");
    for (auto& [output, pane] : panes_)
        pane->disconnected();
    buffers_.clear();
    client_.reset();
    set_waiting(true);
    guest_ = kNoGuest;
    motion_.reset();
    pointer_group_open_ = false;
}

bool Viewer::open_pane(uint32_t output) {
    auto it = panes_.find(kUnresolved);
    std::unique_ptr<OutputPane> pane;
    if (it != panes_.end()) {
        pane = std::move(it->second);
        panes_.erase(it);
        pane->set_output(output);
    } else {
        auto presenter = create_presenter(presenter_kind_, presenter_options_);
        if (!presenter)
            return false;
        pane = OutputPane::create(
            output, std::move(presenter), stats_,
            [this](const vdmabuf_id& id, uint64_t seq) { return release(id, seq); },
            options_.import);
        if (!pane)
            return false;
    }
    auto st = outputs_.find(output);
    pane->name = st != outputs_.end() ? st->second.name : "";
    pane->presenter().set_title("vdmabuf-viewer: " + guest_name_ + "/" +
                                (pane->name.empty() ? std::to_string(output) : pane->name));
    if (auto c = cursors_.find(output); c != cursors_.end())
        pane->set_cursor_image(c->second);
    if (client_)
        pane->set_daemon_release_timeout(client_->release_timeout_ms());
    VDM_INFO("showing output %u (%s)", output, pane->name.c_str());
    panes_[output] = std::move(pane);
    return true;
}

void Viewer::close_pane(uint32_t output) {
    auto it = panes_.find(output);
    if (it == panes_.end())
        return;
    it->second->release_all();
    VDM_INFO("output %u (%s) is gone; its window closes", output, it->second->name.c_str());
    panes_.erase(it);
    resizes_.erase(output);
}

OutputPane* Viewer::pane_for(uint32_t output, bool create) {
    if (auto it = panes_.find(output); it != panes_.end())
        return it->second.get();
    if (!create || !options_.all_outputs)
        return nullptr;
    auto st = outputs_.find(output);
    if (st != outputs_.end() && !st->second.connected)
        return nullptr;
    return open_pane(output) ? panes_[output].get() : nullptr;
}

void Viewer::handle_output(const consumer::OutputInfo& o) {
    if (o.guest != guest_ && guest_ != kNoGuest)
        return;
    OutputState& st = outputs_[o.output];
    st.name = std::string(o.name);
    st.connected = o.flags & VDMABUF_OUTPUT_CONNECTED;
    st.width = o.width;
    st.height = o.height;
    VDM_INFO("guest output %u %s: %s %ux%u", o.output, st.name.c_str(),
             st.connected ? "connected" : "gone", o.width, o.height);
    if (options_.all_outputs) {
        if (st.connected)
            (void)pane_for(o.output, true);
        else if (panes_.size() > 1)
            close_pane(o.output);
        else if (auto* p = pane_for(o.output, false))
            p->set_waiting(true); // the last window stays, dimmed
        return;
    }
    if (!options_.output_name.empty() && st.name == options_.output_name && st.connected &&
        !panes_.count(o.output)) {
        // The name resolves (or moved to another index): the window follows.
        auto it = panes_.begin();
        std::unique_ptr<OutputPane> pane = std::move(it->second);
        panes_.erase(it);
        pane->release_all(); // before disconnected(), which forgets the holds unreleased
        pane->disconnected();
        pane->set_output(o.output);
        pane->name = st.name;
        panes_[o.output] = std::move(pane);
        VDM_INFO("--output %s is output %u", st.name.c_str(), o.output);
        return;
    }
    if (auto* p = pane_for(o.output, false)) {
        p->name = st.name;
        if (!st.connected)
            p->set_waiting(true);
    }
}

void Viewer::handle_cursor_image(const consumer::CursorImage& c) {
    if (c.guest != guest_)
        return;
    ++stats_.cursor_images;
    CursorPixels px{c.width, c.height, c.hotspot_x, c.hotspot_y,
                    std::vector<uint8_t>(c.pixels.begin(), c.pixels.end())};
    if (px.argb.size() != size_t(px.width) * px.height * 4)
        px = {}; // the library validated it; never trust a size mismatch
    if (auto* p = pane_for(c.output, false))
        p->set_cursor_image(px);
    cursors_[c.output] = std::move(px);
}

void Viewer::handle_cursor_move(const consumer::CursorMove& c) {
    if (c.guest != guest_)
        return;
    ++stats_.cursor_moves;
    if (auto* p = pane_for(c.output, false))
        p->move_cursor(c.x, c.y, c.visible);
}

void Viewer::handle_buffer_gone(const vdmabuf_id& id) {
    auto it = buffers_.find(BufferKey(id));
    if (it == buffers_.end())
        return;
    for (auto& [output, pane] : panes_)
        pane->buffer_gone(id);
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
    if (it == buffers_.end()) {
        VDM_WARN("PRESENT of an unknown buffer; released");
        release(p.id, p.sequence);
        return;
    }
    if (guest_ == kNoGuest)
        guest_ = p.id.guest; // an old daemon without GUEST_NEW first: the first guest seen
    OutputPane* pane = done_ || p.id.guest != guest_ ? nullptr : pane_for(p.output, true);
    if (!pane) {
        release(p.id, p.sequence);
        return;
    }
    BufferState& b = it->second;
    if (!b.import) {
        // A window that hands guest memory to its compositor asks for fds
        // the compositor can map (it maps wl_shm pools read-write; an X
        // server attaches MIT-SHM segments read-only).
        PassThrough* pt = pane->presenter().pass_through();
        const uint32_t flags = pt && pt->needs_writable_fds() ? VDMABUF_C_IMPORT_WRITABLE : 0;
        b.import = client_->import(b.info.id, 2000, flags);
        if (!b.import) {
            release(p.id, p.sequence);
            return;
        }
    }
    if (!pane->present(b, p)) {
        release(p.id, p.sequence);
        return;
    }
    ++stats_.frames;
    set_waiting(false);
    pending_latency_ns_ = p.host_time_ns;
    if (options_.frames && !done_) {
        bool all = !panes_.empty();
        for (auto& [output, q] : panes_)
            all = all && q->frames() >= options_.frames;
        done_ = all;
    }
}

} // namespace vdmabuf::viewer
