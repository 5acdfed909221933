#define VDM_LOG_SCOPE "seat"
#include "seat.hpp"

#include "input/host_cursor.hpp"
#include "server.hpp"
#include "view.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>

namespace vdmabuf::compositor {

namespace {

xkb_keymap* compile_keymap(const std::string& layout, const std::string& variant) {
    xkb_context* context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
    if (!context)
        return nullptr;
    xkb_rule_names names{};
    names.rules = "evdev";
    names.model = "pc105";
    names.layout = layout.c_str();
    names.variant = variant.c_str();
    xkb_keymap* keymap = xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
    xkb_context_unref(context);
    return keymap;
}

} // namespace

// One keyboard: repeat info, and forwarding to the seat.
class Keyboard {
public:
    Keyboard(Seat& seat, wlr_input_device* device) : seat_(seat), device_(device) {
        wlr_keyboard* kb = device->keyboard;
        if (xkb_keymap* keymap = compile_keymap("us", "")) {
            wlr_keyboard_set_keymap(kb, keymap);
            xkb_keymap_unref(keymap);
        }
        // Repeat happens in the clients, at the guest's rate (25/s after 600 ms).
        wlr_keyboard_set_repeat_info(kb, 25, 600);
        modifiers_.connect(&kb->events.modifiers, [this](void*) {
            wlr_seat_set_keyboard(seat_.seat_, device_);
            wlr_seat_keyboard_notify_modifiers(seat_.seat_, &device_->keyboard->modifiers);
        });
        key_.connect(&kb->events.key, [this](wlr_event_keyboard_key* e) {
            wlr_seat_set_keyboard(seat_.seat_, device_);
            wlr_seat_keyboard_notify_key(seat_.seat_, e->time_msec, e->keycode, e->state);
        });
        destroy_.connect(&device->events.destroy, [this](void*) {
            if (seat_.host_keyboard_ == device_)
                seat_.host_keyboard_ = nullptr;
            // Last statement: deletes this.
            std::erase_if(seat_.keyboards_, [this](const auto& k) { return k.get() == this; });
        });
        wlr_seat_set_keyboard(seat_.seat_, device);
    }

private:
    Seat& seat_;
    wlr_input_device* device_;
    Listener<void> modifiers_;
    Listener<wlr_event_keyboard_key> key_;
    Listener<void> destroy_;
};

Seat::Seat(Server& server) : server_(server) {
    seat_ = wlr_seat_create(server.display_.get(), "seat0");
    cursor_ = std::make_unique<HostCursor>(server);
    new_input_.connect(&server.backend_->events.new_input,
                       [this](wlr_input_device* d) { handle_new_input(d); });
    // The host's keyboard; the backend announces it (new_input) when it starts.
    host_keyboard_ = wlr_headless_add_input_device(server.backend_.get(), WLR_INPUT_DEVICE_KEYBOARD);
    if (!host_keyboard_)
        VDM_ERROR("wlr_headless_add_input_device(keyboard) failed; no keyboard input");
    request_cursor_.connect(&seat_->events.request_set_cursor,
                            [this](wlr_seat_pointer_request_set_cursor_event* e) {
                                if (e->seat_client == seat_->pointer_state.focused_client)
                                    cursor_->use_surface(e->surface, e->hotspot_x, e->hotspot_y);
                            });
    request_selection_.connect(&seat_->events.request_set_selection,
                               [this](wlr_seat_request_set_selection_event* e) {
                                   wlr_seat_set_selection(seat_, e->source, e->serial);
                               });
    request_primary_.connect(&seat_->events.request_set_primary_selection,
                             [this](wlr_seat_request_set_primary_selection_event* e) {
                                 wlr_seat_set_primary_selection(seat_, e->source, e->serial);
                             });
    // Both capabilities exist from the start: the host window's devices are there.
    wlr_seat_set_capabilities(seat_, WL_SEAT_CAPABILITY_POINTER | WL_SEAT_CAPABILITY_KEYBOARD);
}

Seat::~Seat() {
    keyboards_.clear();
    cursor_.reset();
}

void Seat::handle_new_input(wlr_input_device* device) {
    if (device->type == WLR_INPUT_DEVICE_KEYBOARD)
        keyboards_.push_back(std::make_unique<Keyboard>(*this, device));
    VDM_INFO("input device '%s' added", device->name ? device->name : "?");
}

bool Seat::set_keymap(const std::string& layout, const std::string& variant) {
    if (!host_keyboard_)
        return false;
    xkb_keymap* keymap = compile_keymap(layout, variant);
    if (!keymap) {
        VDM_WARN("KEYMAP layout '%s' variant '%s' does not compile; keeping the old keymap",
                 layout.c_str(), variant.c_str());
        return false;
    }
    // Clients get the new keymap from the seat (wlr_seat follows the keyboard).
    const bool ok = wlr_keyboard_set_keymap(host_keyboard_->keyboard, keymap);
    xkb_keymap_unref(keymap);
    if (ok)
        VDM_INFO("keymap: layout '%s' variant '%s'", layout.c_str(), variant.c_str());
    return ok;
}

void Seat::key(uint32_t time_msec, uint32_t keycode, bool pressed) {
    if (!host_keyboard_)
        return;
    wlr_event_keyboard_key event{};
    event.time_msec = time_msec;
    event.keycode = keycode;
    event.update_state = true; // wlroots runs the xkb state machine
    event.state = pressed ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED;
    wlr_keyboard_notify_key(host_keyboard_->keyboard, &event);
}

bool Seat::modifiers(uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group) {
    if (!host_keyboard_ || !host_keyboard_->keyboard->keymap)
        return false;
    xkb_keymap* keymap = host_keyboard_->keyboard->keymap;
    const xkb_mod_index_t mods = xkb_keymap_num_mods(keymap);
    const uint32_t valid = mods >= 32 ? ~0u : (1u << mods) - 1;
    if (((depressed | latched | locked) & ~valid) || group >= xkb_keymap_num_layouts(keymap))
        return false;
    wlr_keyboard_notify_modifiers(host_keyboard_->keyboard, depressed, latched, locked, group);
    return true;
}

void Seat::pointer_to(double lx, double ly, uint32_t time_msec) {
    pointer_x_ = lx;
    pointer_y_ = ly;
    has_pointer_ = true;
    process_motion(time_msec);
}

void Seat::focus_view(View* view, wlr_surface* surface) {
    if (!view) {
        if (focused_)
            focused_->set_focused(false);
        focused_ = nullptr;
        wlr_seat_keyboard_clear_focus(seat_);
        return;
    }
    view->raise();
    if (focused_ != view) {
        if (focused_)
            focused_->set_focused(false);
        focused_ = view;
        view->set_focused(true);
    }
    if (!surface)
        surface = view->surface();
    if (seat_->keyboard_state.focused_surface == surface)
        return;
    if (wlr_keyboard* kb = wlr_seat_get_keyboard(seat_))
        wlr_seat_keyboard_notify_enter(seat_, surface, kb->keycodes, kb->num_keycodes,
                                       &kb->modifiers);
    else
        wlr_seat_keyboard_notify_enter(seat_, surface, nullptr, 0, nullptr);
}

void Seat::forget_view(View* view) {
    if (moving_ == view)
        moving_ = nullptr;
    if (focused_ != view)
        return;
    focused_ = nullptr;
    wlr_seat_keyboard_clear_focus(seat_);
    // Focus falls to the topmost remaining mapped view.
    for (auto it = server_.views_.rbegin(); it != server_.views_.rend(); ++it)
        if (it->get() != view && (*it)->mapped()) {
            focus_view(it->get(), nullptr);
            return;
        }
}

void Seat::begin_move(View* view) {
    if (!has_pointer_ || view != focused_ || buttons_.empty())
        return;
    moving_ = view;
    int x = 0, y = 0;
    wlr_scene_node_coords(&view->tree()->node, &x, &y);
    grab_x_ = pointer_x_ - x;
    grab_y_ = pointer_y_ - y;
}

void Seat::process_motion(uint32_t time_msec) {
    cursor_->move_to(pointer_x_, pointer_y_);
    if (moving_) {
        moving_->move_to(static_cast<int>(pointer_x_ - grab_x_),
                         static_cast<int>(pointer_y_ - grab_y_));
        return;
    }
    double sx = 0, sy = 0;
    wlr_surface* surface = nullptr;
    (void)server_.view_at(pointer_x_, pointer_y_, &surface, &sx, &sy);
    if (surface) {
        // A new focus: the client answers enter with its own cursor (set_cursor).
        wlr_seat_pointer_notify_enter(seat_, surface, sx, sy);
        wlr_seat_pointer_notify_motion(seat_, time_msec, sx, sy);
    } else {
        if (seat_->pointer_state.focused_surface)
            wlr_seat_pointer_clear_focus(seat_);
        cursor_->use_default();
    }
}

void Seat::button(uint32_t time_msec, uint32_t button, bool pressed) {
    const bool held = std::find(buttons_.begin(), buttons_.end(), button) != buttons_.end();
    if (pressed == held)
        return; // a repeated press or a release of nothing: clients must not see it
    if (pressed)
        buttons_.push_back(button);
    else
        std::erase(buttons_, button);
    wlr_seat_pointer_notify_button(seat_, time_msec, button,
                                   pressed ? WLR_BUTTON_PRESSED : WLR_BUTTON_RELEASED);
    if (!pressed) {
        if (buttons_.empty())
            moving_ = nullptr;
        return;
    }
    double sx = 0, sy = 0;
    wlr_surface* surface = nullptr;
    if (View* view = server_.view_at(pointer_x_, pointer_y_, &surface, &sx, &sy))
        focus_view(view, surface); // click to focus, and raise
}

void Seat::axis(uint32_t time_msec, wlr_axis_orientation orientation, wlr_axis_source source,
                double delta, int32_t discrete) {
    wlr_seat_pointer_notify_axis(seat_, time_msec, orientation, delta, discrete, source);
}

void Seat::frame() { wlr_seat_pointer_notify_frame(seat_); }

void Seat::release_all(uint32_t time_msec) {
    if (host_keyboard_) {
        const wlr_keyboard* kb = host_keyboard_->keyboard;
        const std::vector<uint32_t> keys(kb->keycodes, kb->keycodes + kb->num_keycodes);
        for (uint32_t keycode : keys)
            key(time_msec, keycode, false);
    }
    const std::vector<uint32_t> buttons = buttons_;
    for (uint32_t b : buttons)
        button(time_msec, b, false);
    if (!buttons.empty())
        frame();
}

} // namespace vdmabuf::compositor
