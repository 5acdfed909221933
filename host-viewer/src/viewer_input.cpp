// The Viewer's input to the guest: window input routed per pane (pointer
// motion coalesced to one MOTION per loop turn, the keymap before the first
// key) and window resizes turned into debounced MODE requests.
#define VDM_LOG_SCOPE "viewer"
#include "viewer.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::viewer {
namespace {

constexpr uint64_t kResizeDebounceNs = 200'000'000u;

} // namespace

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
            pointer_on_bars_ = !pos;
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
        case VDMABUF_INPUT_BUTTON:
        case VDMABUF_INPUT_AXIS: {
            // Over the bars no press or wheel step goes out (nor did the
            // pointer's move there); a release goes out iff its press did,
            // wherever the pointer is now, so no guest button stays down.
            const bool release = in.kind == VDMABUF_INPUT_BUTTON && !in.b;
            if (release ? !buttons_down_.erase(in.a) : pointer_on_bars_)
                break;
            if (in.kind == VDMABUF_INPUT_BUTTON && !release)
                buttons_down_.insert(in.a);
            flush_motion();
            send(out, in.kind, in.a, in.b, in.c, in.d);
            pointer_group_open_ = true;
            break;
        }
        default: // LEAVE, MODIFIERS: in order
            if (in.kind == VDMABUF_INPUT_LEAVE)
                buttons_down_.clear(); // the guest releases what is held on LEAVE
            flush_motion();
            send(out, in.kind, in.a, in.b, in.c, in.d);
            pointer_group_open_ = false;
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

} // namespace vdmabuf::viewer
