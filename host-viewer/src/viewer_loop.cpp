// The Viewer's loop: poll the daemon and every pane's window, dispatch, route
// input, step the script, render what changed and release what may go; at the
// end the final screenshot and the --stats-json figures.
#define VDM_LOG_SCOPE "viewer"
#include "viewer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <poll.h>
#include <sstream>

namespace vdmabuf::viewer {

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
    for (auto& [output, pane] : panes_) {
        pane->presenter().set_title("vdmabuf-viewer: " + guest_name_ + " | " + line);
        pane->set_hud(line);
    }
    hud_last_ns_ = now;
    hud_frames_ = 0;
}

void Viewer::toggle_hud() {
    hud_ = !hud_;
    hud_last_ns_ = hud_frames_ = 0; // the next line counts from now
    if (hud_)
        return;
    for (auto& [output, pane] : panes_) {
        pane->presenter().set_title("vdmabuf-viewer: " + guest_name_ + "/" +
                                    (pane->name.empty() ? std::to_string(output) : pane->name));
        pane->set_hud({});
    }
}

bool Viewer::write_stats_json() const {
    FILE* f = std::fopen(options_.stats_json.c_str(), "w");
    if (!f) {
        VDM_ERRNO("fopen(%s)", options_.stats_json.c_str());
        return false;
    }
    const char* presenter = panes_.empty() ? presenter_kind_.c_str()
                                           : panes_.begin()->second->presenter().name();
    std::fprintf(f,
                 "{\"presenter\": \"%s\", \"import_path\": \"%s\", \"frames\": %llu, "
                 "\"draws\": %llu, \"releases\": %llu, \"releases_after_fence\": %llu, "
                 "\"releases_before_fence\": %llu, \"releases_after_wl_release\": %llu, "
                 "\"releases_before_wl_release\": %llu, \"reconnects\": %llu, "
                 "\"cursor_moves\": %llu, \"cursor_images\": %llu, \"input_events\": %llu, "
                 "\"mode_requests\": %llu, \"outputs_shown\": %zu, "
                 "\"bytes_uploaded_total\": %llu, \"bytes_uploaded_last\": %lld, "
                 "\"bytes_copied_on_demand\": %llu, \"copies_on_demand\": %llu, "
                 "\"bytes_uploaded_per_frame\": [",
                 presenter, stats_.import_path.c_str(),
                 static_cast<unsigned long long>(stats_.frames),
                 static_cast<unsigned long long>(stats_.draws),
                 static_cast<unsigned long long>(stats_.releases),
                 static_cast<unsigned long long>(stats_.releases_after_fence),
                 static_cast<unsigned long long>(stats_.releases_before_fence),
                 static_cast<unsigned long long>(stats_.releases_after_wl_release),
                 static_cast<unsigned long long>(stats_.releases_before_wl_release),
                 static_cast<unsigned long long>(stats_.reconnects),
                 static_cast<unsigned long long>(stats_.cursor_moves),
                 static_cast<unsigned long long>(stats_.cursor_images),
                 static_cast<unsigned long long>(stats_.input_events),
                 static_cast<unsigned long long>(stats_.mode_requests), panes_.size(),
                 static_cast<unsigned long long>(stats_.bytes_total),
                 static_cast<long long>(stats_.bytes_last),
                 static_cast<unsigned long long>(stats_.bytes_copied_on_demand),
                 static_cast<unsigned long long>(stats_.copies_on_demand));
    for (size_t i = 0; i < stats_.bytes_per_frame.size(); ++i)
        std::fprintf(f, "%s%lld", i ? ", " : "", static_cast<long long>(stats_.bytes_per_frame[i]));
    std::fprintf(f, "]}\n");
    bool ok = !std::ferror(f);
    if (std::fclose(f) != 0 || !ok) {
        VDM_ERRNO("writing %s failed", options_.stats_json.c_str());
        return false;
    }
    return true;
}

void Viewer::say_what_is_missing() {
    if (missing_said_ || !client_ || !waiting_ || now_ns() - connected_ns_ < 1'000'000'000u)
        return;
    missing_said_ = true; // once per connection
    std::string want = options_.all_outputs ? "any output"
                       : !options_.output_name.empty() ? "output \"" + options_.output_name + "\""
                                                       : "output " + std::to_string(options_.output);
    std::string who = !options_.guest.empty() ? "guest \"" + options_.guest + "\"" : "any guest";
    // What vdmabufd has: the guest and output lines of its LIST.
    std::string has;
    if (auto list = client_->stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_LIST)) {
        size_t end = list->find("\nbuffers:");
        std::istringstream lines(list->substr(0, end));
        std::string line;
        while (std::getline(lines, line))
            if (line.rfind("  guest ", 0) == 0 || line.rfind("    output ", 0) == 0)
                has += "\n  " + line.substr(line.find_first_not_of(' '));
    }
    VDM_WARN("no frame yet from %s on %s; waiting for it (the viewer waits for guests and "
             "outputs to appear). vdmabufd has:%s",
             who.c_str(), want.c_str(), has.empty() ? " no guests" : has.c_str());
}

int Viewer::run(const volatile int* stop_flag) {
    uint64_t backoff_ms = 100, next_attempt_ns = 0;
    if (!connect() && options_.no_reconnect)
        return 1;
    int exit_code = 0;
    const uint64_t give_up_ns = options_.timeout_s ? now_ns() + options_.timeout_s * 1'000'000'000u : 0;
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
            dirty = dirty || pane->dirty() || pane->presenter().events_queued();
            holding = holding || pane->holds_frames();
        }
        int timeout = holding ? 1 : (client_ ? 250 : 50);
        if (waiting_command_ || !resizes_.empty())
            timeout = std::min(timeout, 10);
        for (auto& [output, pane] : panes_) // wake to copy out a frame held too long
            if (int due = pane->copy_out_deadline_ms(); due >= 0)
                timeout = std::min(timeout, due);
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
                toggle_hud();
            if (pane->presenter().take_screenshot_key()) {
                char name[64];
                std::time_t t = std::time(nullptr);
                std::strftime(name, sizeof name, "vdmabuf-%Y%m%d-%H%M%S.png", std::localtime(&t));
                (void)pane->screenshot(name, true, options_.png);
            }
        }
        if (hud_)
            hud_tick();
        say_what_is_missing();
        if (give_up_ns && options_.frames && now_ns() >= give_up_ns) {
            VDM_ERROR("--timeout %llu: %llu of %llu frames shown; giving up",
                      static_cast<unsigned long long>(options_.timeout_s),
                      static_cast<unsigned long long>(stats_.frames),
                      static_cast<unsigned long long>(options_.frames));
            failed_ = true;
            exit_code = 1;
            break;
        }
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
        pane->release_all(/*keep_picture=*/false); // exiting: nothing shows it any more
    if (!options_.stats_json.empty() && !write_stats_json())
        exit_code = exit_code ? exit_code : 1;
    VDM_INFO("exit: %llu frames, %llu releases, %llu bytes uploaded, %llu copied on demand",
             static_cast<unsigned long long>(stats_.frames),
             static_cast<unsigned long long>(stats_.releases),
             static_cast<unsigned long long>(stats_.bytes_total),
             static_cast<unsigned long long>(stats_.bytes_copied_on_demand));
    return exit_code;
}

} // namespace vdmabuf::viewer
