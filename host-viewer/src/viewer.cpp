#define VDM_LOG_SCOPE "viewer"
#include "viewer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <linux/input-event-codes.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <poll.h>

namespace vdmabuf::viewer {
namespace {

// A pane waiting for its output: --output NAME before OUTPUT names it, or
// the first window of --all-outputs before any output is known.
constexpr uint32_t kUnresolved = 0xfffffffeu;
constexpr uint64_t kResizeDebounceNs = 200'000'000u;
constexpr uint64_t kCommandTimeoutNs = 60'000'000'000u;
// wl_pointer's units for one wheel step (what libinput reports).
constexpr int32_t kWheelStep = 15 * 256;

} // namespace

Viewer::Viewer(const Options& options) : options_(options), hud_(options.hud) {}

std::unique_ptr<Viewer> Viewer::create(const Options& options, std::unique_ptr<Presenter> presenter) {
    std::unique_ptr<Viewer> v(new Viewer(options));
    v->presenter_options_.fullscreen = options.fullscreen;
    v->presenter_kind_ = presenter->name();
    if (!options.commands.empty()) {
        std::string error;
        auto cmds = load_commands(options.commands, &error);
        if (!cmds) {
            VDM_ERROR("--commands %s", error.c_str());
            return nullptr;
        }
        v->commands_ = std::move(*cmds);
    }
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
    auto pane = OutputPane::create(first, std::move(presenter), v->stats_,
                                   [p = v.get()](const vdmabuf_id& id, uint64_t seq) {
                                       return p->release(id, seq);
                                   });
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
    client_ = consumer::Client::connect(path, VDMABUF_ROLE_VIEWER, options_.guest, filter);
    if (!client_)
        return false;
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
        else
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
        pane = OutputPane::create(output, std::move(presenter), stats_,
                                  [this](const vdmabuf_id& id, uint64_t seq) {
                                      return release(id, seq);
                                  });
        if (!pane)
            return false;
    }
    auto st = outputs_.find(output);
    pane->name = st != outputs_.end() ? st->second.name : "";
    pane->presenter().set_title("vdmabuf-viewer: " + guest_name_ + "/" +
                                (pane->name.empty() ? std::to_string(output) : pane->name));
    if (auto c = cursors_.find(output); c != cursors_.end())
        pane->set_cursor_image(c->second);
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
        pane->disconnected();
        pane->release_all();
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
        b.import = client_->import(b.info.id);
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

// --- input --------------------------------------------------------------

void Viewer::send(uint32_t output, uint32_t kind, uint32_t a, uint32_t b, uint32_t c,
                  uint32_t d) {
    if (!client_ || guest_ == kNoGuest || output >= kUnresolved)
        return;
    ++stats_.input_events;
    (void)client_->send_input(guest_, output, kind, a, b, c, d);
}

void Viewer::send_key(uint32_t output, uint32_t code, bool pressed) {
    if (!client_ || guest_ == kNoGuest)
        return;
    flush_motion();
    if (!keymap_sent_) {
        // The guest reads our keycodes with this layout: it goes first.
        (void)client_->send_keymap(guest_, keymap_.layout, keymap_.variant);
        keymap_sent_ = true;
    }
    send(output, VDMABUF_INPUT_KEY, code, pressed ? 1 : 0);
}

void Viewer::flush_motion() {
    if (motion_) {
        send(motion_->output, VDMABUF_INPUT_MOTION, motion_->x, motion_->y);
        send(motion_->output, VDMABUF_INPUT_FRAME);
        motion_.reset();
    }
}

void Viewer::forward_window_input(OutputPane& pane) {
    const uint32_t out = pane.output();
    for (const WindowInput& in : pane.presenter().take_input()) {
        switch (in.kind) {
        case VDMABUF_INPUT_MOTION:
        case VDMABUF_INPUT_ENTER: {
            // Outside the picture (letterbox bars) the guest hears nothing.
            auto pos = pane.to_output(in.x, in.y);
            if (!pos)
                break;
            if (in.kind == VDMABUF_INPUT_MOTION && !pointer_group_open_) {
                motion_ = Motion{out, pos->first, pos->second}; // coalesced: the last wins
            } else {
                flush_motion();
                send(out, in.kind, pos->first, pos->second);
                pointer_group_open_ = true;
            }
            break;
        }
        case VDMABUF_INPUT_FRAME:
            // A group of motion only is sent with the coalesced motion.
            if (pointer_group_open_) {
                if (motion_) {
                    send(out, VDMABUF_INPUT_MOTION, motion_->x, motion_->y);
                    motion_.reset();
                }
                send(out, VDMABUF_INPUT_FRAME);
                pointer_group_open_ = false;
            }
            break;
        case VDMABUF_INPUT_KEY:
            send_key(out, in.a, in.b);
            break;
        default: // BUTTON, AXIS, LEAVE, MODIFIERS: in order, never coalesced
            flush_motion();
            send(out, in.kind, in.a, in.b, in.c, in.d);
            pointer_group_open_ = in.kind == VDMABUF_INPUT_BUTTON || in.kind == VDMABUF_INPUT_AXIS;
            break;
        }
    }
}

void Viewer::request_mode(uint32_t output, uint32_t width, uint32_t height) {
    if (!client_ || guest_ == kNoGuest || output >= kUnresolved)
        return;
    VDM_INFO("asking the guest for output %u at %ux%u", output, width, height);
    ++stats_.mode_requests;
    (void)client_->request_mode(guest_, output, width, height);
}

void Viewer::check_resize(OutputPane& pane) {
    const uint32_t out = pane.output();
    if (pane.presenter().take_resized() && !options_.no_resize && pane.has_frame()) {
        auto [w, h] = pane.presenter().target_size();
        resizes_[out] = PendingResize{w, h, now_ns()};
    }
    auto it = resizes_.find(out);
    if (it == resizes_.end() || now_ns() - it->second.since_ns < kResizeDebounceNs)
        return;
    PendingResize r = it->second;
    resizes_.erase(it);
    if (r.width && r.height && (r.width != pane.frame_width() || r.height != pane.frame_height()))
        request_mode(out, r.width, r.height);
}

// --- the --commands script -----------------------------------------------

bool Viewer::screenshot_all(const std::string& path) {
    if (!options_.all_outputs || panes_.size() == 1) {
        OutputPane* p = primary();
        return p && p->screenshot(path, options_.screenshot_cursor);
    }
    // PATH.png -> PATH-NAME.png per output (the output number where it has no name).
    std::string stem = path, ext;
    if (size_t dot = path.rfind('.'); dot != std::string::npos && path.find('/', dot) == std::string::npos) {
        stem = path.substr(0, dot);
        ext = path.substr(dot);
    }
    bool ok = true;
    for (auto& [output, pane] : panes_) {
        std::string name = pane->name.empty() ? std::to_string(output) : pane->name;
        ok = pane->screenshot(stem + "-" + name + ext, options_.screenshot_cursor) && ok;
    }
    return ok;
}

bool Viewer::run_command(const Command& c) {
    OutputPane* pane = primary();
    const uint32_t out = pane ? pane->output() : kUnresolved;
    using K = Command::Kind;
    switch (c.kind) {
    case K::Keymap:
        keymap_ = *parse_keymap(c.text);
        keymap_sent_ = false;
        if (client_ && guest_ != kNoGuest) {
            (void)client_->send_keymap(guest_, keymap_.layout, keymap_.variant);
            keymap_sent_ = true;
        }
        return true;
    case K::Type:
        for (char ch : c.text) {
            UsKey k = *us_key_for(ch);
            if (k.shift)
                send_key(out, KEY_LEFTSHIFT, true);
            send_key(out, k.code, true);
            send_key(out, k.code, false);
            if (k.shift)
                send_key(out, KEY_LEFTSHIFT, false);
        }
        return true;
    case K::Key:
        if (c.press)
            send_key(out, c.code, true);
        if (c.release)
            send_key(out, c.code, false);
        return true;
    case K::Move:
    case K::Click: {
        if (!pane || c.x >= pane->frame_width() || c.y >= pane->frame_height()) {
            VDM_ERROR("--commands line %u: %lld,%lld is outside the output (%ux%u)", c.line,
                      static_cast<long long>(c.x), static_cast<long long>(c.y),
                      pane ? pane->frame_width() : 0, pane ? pane->frame_height() : 0);
            return false;
        }
        flush_motion();
        send(out, VDMABUF_INPUT_MOTION, uint32_t(c.x * 256), uint32_t(c.y * 256));
        send(out, VDMABUF_INPUT_FRAME);
        if (c.kind == K::Click) {
            send(out, VDMABUF_INPUT_BUTTON, c.code, 1);
            send(out, VDMABUF_INPUT_FRAME);
            send(out, VDMABUF_INPUT_BUTTON, c.code, 0);
            send(out, VDMABUF_INPUT_FRAME);
        }
        return true;
    }
    case K::Scroll:
        // One FRAME per axis, as a wheel does: source wheel, value and steps.
        if (c.y) {
            send(out, VDMABUF_INPUT_AXIS, 0, 0, uint32_t(int32_t(c.y) * kWheelStep), uint32_t(int32_t(c.y)));
            send(out, VDMABUF_INPUT_FRAME);
        }
        if (c.x) {
            send(out, VDMABUF_INPUT_AXIS, 1, 0, uint32_t(int32_t(c.x) * kWheelStep), uint32_t(int32_t(c.x)));
            send(out, VDMABUF_INPUT_FRAME);
        }
        return true;
    case K::Resize:
        request_mode(out, uint32_t(c.x), uint32_t(c.y));
        return true;
    case K::WaitFrames:
        wait_frames_ = stats_.frames + c.n;
        waiting_command_ = true;
        return true;
    case K::WaitSize:
        waiting_command_ = true;
        return true;
    case K::WaitMs:
        wait_until_ns_ = now_ns() + c.n * 1'000'000u;
        waiting_command_ = true;
        return true;
    case K::Screenshot:
        if (!screenshot_all(c.text)) {
            VDM_ERROR("--commands line %u: screenshot %s failed", c.line, c.text.c_str());
            return false;
        }
        return true;
    case K::Quit:
        done_ = true;
        return true;
    }
    return false;
}

bool Viewer::step_commands() {
    OutputPane* pane = primary();
    if (next_command_ >= commands_.size() || !pane || done_)
        return true;
    // After the first frame of every output shown (and every window has its output).
    for (auto& [output, p] : panes_)
        if (output == kUnresolved || !p->has_frame())
            return true;
    while (next_command_ < commands_.size() && !done_) {
        const Command& c = commands_[next_command_];
        if (waiting_command_) {
            bool satisfied = false;
            using K = Command::Kind;
            if (c.kind == K::WaitFrames)
                satisfied = stats_.frames >= wait_frames_;
            else if (c.kind == K::WaitMs)
                satisfied = now_ns() >= wait_until_ns_;
            else if (c.kind == K::WaitSize)
                satisfied = pane->frame_width() == uint64_t(c.x) && pane->frame_height() == uint64_t(c.y);
            if (!satisfied) {
                if (now_ns() < wait_deadline_ns_)
                    return true;
                VDM_ERROR("--commands line %u: timed out after %llu s (%llu frames, %ux%u)", c.line,
                          static_cast<unsigned long long>(kCommandTimeoutNs / 1'000'000'000u),
                          static_cast<unsigned long long>(stats_.frames), pane->frame_width(),
                          pane->frame_height());
                return false;
            }
            waiting_command_ = false;
            ++next_command_;
            continue;
        }
        wait_deadline_ns_ = now_ns() + kCommandTimeoutNs;
        if (!run_command(c))
            return false;
        if (!waiting_command_)
            ++next_command_;
    }
    return true;
}

// --- the loop -------------------------------------------------------------

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
    for (auto& [output, pane] : panes_)
        pane->presenter().set_title("vdmabuf-viewer: " + guest_name_ + " | " + line);
    hud_last_ns_ = now;
    hud_frames_ = 0;
}

void Viewer::write_stats_json() const {
    FILE* f = std::fopen(options_.stats_json.c_str(), "w");
    if (!f) {
        VDM_ERRNO("fopen(%s)", options_.stats_json.c_str());
        return;
    }
    const char* presenter = panes_.empty() ? presenter_kind_.c_str()
                                           : panes_.begin()->second->presenter().name();
    std::fprintf(f,
                 "{\"presenter\": \"%s\", \"import_path\": \"%s\", \"frames\": %llu, "
                 "\"draws\": %llu, \"releases\": %llu, \"reconnects\": %llu, "
                 "\"cursor_moves\": %llu, \"cursor_images\": %llu, \"input_events\": %llu, "
                 "\"mode_requests\": %llu, \"outputs_shown\": %zu, "
                 "\"bytes_uploaded_total\": %llu, \"bytes_uploaded_last\": %lld, "
                 "\"bytes_uploaded_per_frame\": [",
                 presenter, stats_.import_path.c_str(),
                 static_cast<unsigned long long>(stats_.frames),
                 static_cast<unsigned long long>(stats_.draws),
                 static_cast<unsigned long long>(stats_.releases),
                 static_cast<unsigned long long>(stats_.reconnects),
                 static_cast<unsigned long long>(stats_.cursor_moves),
                 static_cast<unsigned long long>(stats_.cursor_images),
                 static_cast<unsigned long long>(stats_.input_events),
                 static_cast<unsigned long long>(stats_.mode_requests), panes_.size(),
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
    int exit_code = 0;
    std::vector<pollfd> fds;
    while (!*stop_flag) {
        bool closed = panes_.empty();
        for (auto& [output, pane] : panes_)
            closed = closed || pane->presenter().closed();
        if (closed)
            break;
        if (!client_ && !options_.no_reconnect && now_ns() >= next_attempt_ns) {
            if (connect()) {
                ++stats_.reconnects;
                backoff_ms = 100;
            } else {
                next_attempt_ns = now_ns() + backoff_ms * 1'000'000u;
                backoff_ms = std::min<uint64_t>(backoff_ms * 2, 500); // a restarted vdmabufd is found fast
            }
        }
        fds.assign(1, pollfd{client_ ? client_->fd() : -1, POLLIN, 0});
        bool dirty = false, holding = false;
        for (auto& [output, pane] : panes_) {
            pane->presenter().prepare_poll();
            fds.push_back({pane->presenter().fd(), POLLIN, 0});
            dirty = dirty || pane->dirty();
            holding = holding || pane->holds_frames();
        }
        int timeout = holding ? 1 : (client_ ? 250 : 50);
        if (waiting_command_ || !resizes_.empty())
            timeout = std::min(timeout, 10);
        if (dirty)
            timeout = 0;
        poll(fds.data(), fds.size(), timeout);
        size_t i = 1;
        for (auto& [output, pane] : panes_) {
            pane->presenter().dispatch(fds[i++].revents != 0);
            if (pane->presenter().take_redraw())
                pane->mark_dirty();
        }
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
        for (auto& [output, pane] : panes_) {
            forward_window_input(*pane);
            check_resize(*pane);
        }
        flush_motion(); // at most one MOTION per loop turn
        if (!step_commands()) {
            failed_ = true;
            exit_code = 1;
            break;
        }
        for (auto& [output, pane] : panes_) {
            if (pane->dirty()) {
                pane->render();
                ++hud_frames_;
                if (pending_latency_ns_) {
                    uint64_t now = now_ns();
                    if (now > pending_latency_ns_)
                        stats_.latency_us.add((now - pending_latency_ns_) / 1000);
                    pending_latency_ns_ = 0;
                }
            }
            pane->reap(false);
            if (pane->presenter().take_hud_key())
                hud_ = !hud_;
            if (pane->presenter().take_screenshot_key()) {
                char name[64];
                std::time_t t = std::time(nullptr);
                std::strftime(name, sizeof name, "vdmabuf-%Y%m%d-%H%M%S.png", std::localtime(&t));
                (void)pane->screenshot(name, true);
            }
        }
        if (hud_)
            hud_tick();
        if (done_)
            break;
    }
    bool have_frame = false;
    for (auto& [output, pane] : panes_)
        have_frame = have_frame || pane->has_frame();
    if (!failed_ && !options_.screenshot.empty() && (done_ || have_frame) &&
        !screenshot_all(options_.screenshot) && done_)
        exit_code = 1;
    for (auto& [output, pane] : panes_)
        pane->release_all();
    if (!options_.stats_json.empty())
        write_stats_json();
    VDM_INFO("exit: %llu frames, %llu releases, %llu bytes uploaded",
             static_cast<unsigned long long>(stats_.frames),
             static_cast<unsigned long long>(stats_.releases),
             static_cast<unsigned long long>(stats_.bytes_total));
    return exit_code;
}

} // namespace vdmabuf::viewer
