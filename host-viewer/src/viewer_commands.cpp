// The Viewer's --commands script runner: one command after another once every
// shown output has a frame; waits (frames, size, time) are polled from the
// loop with a deadline, never slept.
#define VDM_LOG_SCOPE "viewer"
#include "viewer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <linux/input-event-codes.h>

namespace vdmabuf::viewer {
namespace {

constexpr uint64_t kCommandTimeoutNs = 60'000'000'000u;
// wl_pointer's units for one wheel step (what libinput reports).
constexpr int32_t kWheelStep = 15 * 256;

} // namespace

bool Viewer::screenshot_all(const std::string& path) {
    if (!options_.all_outputs || panes_.size() == 1) {
        OutputPane* p = primary();
        return p && p->screenshot(path, options_.screenshot_cursor, options_.png);
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
        ok = pane->screenshot(stem + "-" + name + ext, options_.screenshot_cursor, options_.png) && ok;
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

} // namespace vdmabuf::viewer
