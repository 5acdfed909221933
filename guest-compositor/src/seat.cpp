#define VDM_LOG_SCOPE "seat"
#include "seat.hpp"

#include "server.hpp"
#include "view.hpp"

#include <vdmabuf/shared/log.hpp>

#include <linux/input-event-codes.h>

namespace vdmabuf::compositor {

// One keyboard: keymap, repeat, and forwarding to the seat.
class Keyboard {
public:
    Keyboard(Seat& seat, wlr_input_device* device) : seat_(seat), device_(device) {
        wlr_keyboard* kb = device->keyboard;
        xkb_context* context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
        xkb_keymap* keymap =
            xkb_keymap_new_from_names(context, nullptr, XKB_KEYMAP_COMPILE_NO_FLAGS);
        if (keymap)
            wlr_keyboard_set_keymap(kb, keymap);
        xkb_keymap_unref(keymap);
        xkb_context_unref(context);
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
    cursor_.reset(wlr_cursor_create());
    wlr_cursor_attach_output_layout(cursor_.get(), server.layout_.get());
    xcursor_.reset(wlr_xcursor_manager_create(nullptr, 24));
    wlr_xcursor_manager_load(xcursor_.get(), 1);

    new_input_.connect(&server.backend_->events.new_input,
                       [this](wlr_input_device* d) { handle_new_input(d); });
    motion_.connect(&cursor_->events.motion, [this](wlr_event_pointer_motion* e) {
        wlr_cursor_move(cursor_.get(), e->device, e->delta_x, e->delta_y);
        process_motion(e->time_msec);
    });
    motion_absolute_.connect(&cursor_->events.motion_absolute,
                             [this](wlr_event_pointer_motion_absolute* e) {
                                 wlr_cursor_warp_absolute(cursor_.get(), e->device, e->x, e->y);
                                 process_motion(e->time_msec);
                             });
    button_.connect(&cursor_->events.button,
                    [this](wlr_event_pointer_button* e) { handle_button(e); });
    axis_.connect(&cursor_->events.axis, [this](wlr_event_pointer_axis* e) {
        wlr_seat_pointer_notify_axis(seat_, e->time_msec, e->orientation, e->delta,
                                     e->delta_discrete, e->source);
    });
    frame_.connect(&cursor_->events.frame, [this](void*) { wlr_seat_pointer_notify_frame(seat_); });
    request_cursor_.connect(&seat_->events.request_set_cursor,
                            [this](wlr_seat_pointer_request_set_cursor_event* e) {
                                if (e->seat_client == seat_->pointer_state.focused_client)
                                    wlr_cursor_set_surface(cursor_.get(), e->surface,
                                                           e->hotspot_x, e->hotspot_y);
                            });
    request_selection_.connect(&seat_->events.request_set_selection,
                               [this](wlr_seat_request_set_selection_event* e) {
                                   wlr_seat_set_selection(seat_, e->source, e->serial);
                               });
    request_primary_.connect(&seat_->events.request_set_primary_selection,
                             [this](wlr_seat_request_set_primary_selection_event* e) {
                                 wlr_seat_set_primary_selection(seat_, e->source, e->serial);
                             });
    update_capabilities();
}

Seat::~Seat() { keyboards_.clear(); }

void Seat::handle_new_input(wlr_input_device* device) {
    switch (device->type) {
    case WLR_INPUT_DEVICE_KEYBOARD:
        keyboards_.push_back(std::make_unique<Keyboard>(*this, device));
        break;
    case WLR_INPUT_DEVICE_POINTER:
        wlr_cursor_attach_input_device(cursor_.get(), device);
        has_pointer_ = true;
        break;
    default:
        break;
    }
    VDM_INFO("input device '%s' added", device->name ? device->name : "?");
    update_capabilities();
}

void Seat::update_capabilities() {
    // Both capabilities exist from the start: clients bind wl_pointer/wl_keyboard
    // now, and the host's devices attach to them later.
    (void)has_pointer_;
    wlr_seat_set_capabilities(seat_, WL_SEAT_CAPABILITY_POINTER | WL_SEAT_CAPABILITY_KEYBOARD);
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
    if (!has_pointer_ || view != focused_)
        return;
    moving_ = view;
    int x = 0, y = 0;
    wlr_scene_node_coords(&view->tree()->node, &x, &y);
    grab_x_ = cursor_->x - x;
    grab_y_ = cursor_->y - y;
}

void Seat::process_motion(uint32_t time_msec) {
    if (!cursor_image_set_) {
        // Set lazily: without a pointer device nothing draws a cursor into frames.
        wlr_xcursor_manager_set_cursor_image(xcursor_.get(), "left_ptr", cursor_.get());
        cursor_image_set_ = true;
    }
    if (moving_) {
        moving_->move_to(static_cast<int>(cursor_->x - grab_x_),
                         static_cast<int>(cursor_->y - grab_y_));
        return;
    }
    double sx = 0, sy = 0;
    wlr_surface* surface = nullptr;
    (void)server_.view_at(cursor_->x, cursor_->y, &surface, &sx, &sy);
    if (surface) {
        wlr_seat_pointer_notify_enter(seat_, surface, sx, sy);
        wlr_seat_pointer_notify_motion(seat_, time_msec, sx, sy);
    } else {
        wlr_xcursor_manager_set_cursor_image(xcursor_.get(), "left_ptr", cursor_.get());
        wlr_seat_pointer_clear_focus(seat_);
    }
}

void Seat::handle_button(wlr_event_pointer_button* event) {
    wlr_seat_pointer_notify_button(seat_, event->time_msec, event->button, event->state);
    if (event->state == WLR_BUTTON_RELEASED) {
        moving_ = nullptr;
        return;
    }
    double sx = 0, sy = 0;
    wlr_surface* surface = nullptr;
    if (View* view = server_.view_at(cursor_->x, cursor_->y, &surface, &sx, &sy))
        focus_view(view, surface); // click to focus, and raise
}

} // namespace vdmabuf::compositor
