// seat0 with a pointer and a keyboard: the cursor, keyboards as they arrive (none
// with the headless backend today; the host window's input device comes later),
// click-to-focus, stacking, an interactive move, and the clipboards.
#pragma once

#include "wlr/handles.hpp"
#include "wlr/listener.hpp"

#include <memory>
#include <vector>

namespace vdmabuf::compositor {

class Server;
class View;
class Keyboard;

class Seat {
public:
    explicit Seat(Server& server);
    ~Seat();
    Seat(const Seat&) = delete;
    Seat& operator=(const Seat&) = delete;

    // Raises `view`, activates it and gives `surface` (its own, or a subsurface)
    // the keyboard focus. nullptr clears the focus.
    void focus_view(View* view, wlr_surface* surface);
    // The view is unmapping or going away: drop every reference to it.
    void forget_view(View* view);
    // Client asked to be moved (xdg request_move): follow the pointer until release.
    void begin_move(View* view);
    [[nodiscard]] View* focused() const { return focused_; }
    [[nodiscard]] wlr_seat* wlr() const { return seat_; }

private:
    void handle_new_input(wlr_input_device* device);
    void add_keyboard(wlr_input_device* device);
    void update_capabilities();
    void process_motion(uint32_t time_msec);
    void handle_button(wlr_event_pointer_button* event);
    friend class Keyboard;

    Server& server_;
    wlr_seat* seat_ = nullptr; // destroyed with the display
    WlrCursor cursor_;
    WlrXcursorManager xcursor_;
    View* focused_ = nullptr;
    View* moving_ = nullptr;
    double grab_x_ = 0, grab_y_ = 0;
    bool has_pointer_ = false;
    bool cursor_image_set_ = false;
    std::vector<std::unique_ptr<Keyboard>> keyboards_;

    Listener<wlr_input_device> new_input_;
    Listener<wlr_event_pointer_motion> motion_;
    Listener<wlr_event_pointer_motion_absolute> motion_absolute_;
    Listener<wlr_event_pointer_button> button_;
    Listener<wlr_event_pointer_axis> axis_;
    Listener<void> frame_;
    Listener<wlr_seat_pointer_request_set_cursor_event> request_cursor_;
    Listener<wlr_seat_request_set_selection_event> request_selection_;
    Listener<wlr_seat_request_set_primary_selection_event> request_primary_;
};

} // namespace vdmabuf::compositor
