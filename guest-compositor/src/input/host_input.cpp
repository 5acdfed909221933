#define VDM_LOG_SCOPE "input"
#include "input/host_input.hpp"

#include "input/host_cursor.hpp"
#include "input/input_check.hpp"
#include "output.hpp"
#include "seat.hpp"
#include "server.hpp"

#include <vdmabuf/shared/log.hpp>

#include <string>

namespace vdmabuf::compositor {

void HostInput::drop(const frontend::InputEvent& e, const char* why) {
    ++dropped_;
    // Logged, but a flood of garbage cannot flood the log.
    if (dropped_ <= 20 || dropped_ % 1000 == 0)
        VDM_WARN("INPUT kind %u on output %u (%u %u %u %u) dropped: %s (%llu dropped so far)",
                 e.kind, e.output, e.a, e.b, e.c, e.d, why,
                 static_cast<unsigned long long>(dropped_));
}

void HostInput::handle(const frontend::InputEvent& e) {
    Output* output = server_.output_by_index(e.output);
    const bool pointer_kind = e.kind == VDMABUF_INPUT_MOTION || e.kind == VDMABUF_INPUT_ENTER;
    if (!output && pointer_kind) {
        drop(e, "no such output");
        return;
    }
    const wlr_output* wlr = output ? output->wlr() : nullptr;
    if (const char* why = input_problem(e.kind, e.a, e.b, e.c, e.d,
                                        wlr ? static_cast<uint32_t>(wlr->width) : 0,
                                        wlr ? static_cast<uint32_t>(wlr->height) : 0)) {
        drop(e, why);
        return;
    }
    Seat& seat = *server_.seat_;
    const auto time_msec = static_cast<uint32_t>(e.time_ns / 1000000);
    switch (e.kind) {
    case VDMABUF_INPUT_KEY:
        seat.key(time_msec, e.a, e.b == 1);
        break;
    case VDMABUF_INPUT_MODIFIERS:
        if (!seat.modifiers(e.a, e.b, e.c, e.d))
            drop(e, "modifier masks or group not in the keymap");
        break;
    case VDMABUF_INPUT_MOTION:
    case VDMABUF_INPUT_ENTER: {
        const wlr_box* box = wlr_output_layout_get_box(server_.layout_.get(), output->wlr());
        if (!box) {
            drop(e, "the output is not in the layout");
            return;
        }
        seat.pointer_to(box->x + from_fixed(e.a), box->y + from_fixed(e.b), time_msec);
        break;
    }
    case VDMABUF_INPUT_BUTTON:
        seat.button(time_msec, e.a, e.b == 1);
        break;
    case VDMABUF_INPUT_AXIS:
        seat.axis(time_msec,
                  e.a == 0 ? WLR_AXIS_ORIENTATION_VERTICAL : WLR_AXIS_ORIENTATION_HORIZONTAL,
                  static_cast<wlr_axis_source>(e.b), from_fixed_signed(e.c),
                  static_cast<int32_t>(e.d));
        break;
    case VDMABUF_INPUT_FRAME:
        seat.frame();
        break;
    case VDMABUF_INPUT_LEAVE:
        seat.release_all(time_msec);
        break;
    default:
        break; // input_problem() refused it
    }
}

void HostInput::handle_keymap(std::string_view layout, std::string_view variant) {
    if (layout.empty() || !valid_keymap_name(layout) || !valid_keymap_name(variant)) {
        ++dropped_;
        VDM_WARN("KEYMAP with a bad layout or variant name dropped");
        return;
    }
    (void)server_.seat_->set_keymap(std::string(layout), std::string(variant));
}

} // namespace vdmabuf::compositor
