// seat0: a keyboard and a pointer driven by the host window's input (INPUT
// events, device spec §8.3, checked by HostInput), click-to-focus, stacking, an
// interactive move, and the clipboards.
//
// The keyboard is a headless wlroots keyboard whose xkb keymap is the one the
// host announces (KEYMAP; "us" until then): keys are fed through wlroots, so the
// guest's xkb state, modifiers and key repeat (repeat info to clients) apply.
// The pointer has no device: the host sends absolute positions, so the seat keeps
// the layout position itself. The cursor is not drawn into frames (HostCursor).
#pragma once

#include "wlr/handles.hpp"
#include "wlr/listener.hpp"

#include <memory>
#include <string>
#include <vector>

namespace vdmabuf::compositor {

class Server;
class View;
class Keyboard;
class HostCursor;

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
    [[nodiscard]] HostCursor& cursor() { return *cursor_; }

    // Host input. Keymap: rules "evdev", model "pc105"; false (logged, the old
    // keymap stays) if xkb cannot compile it.
    bool set_keymap(const std::string& layout, const std::string& variant);
    void key(uint32_t time_msec, uint32_t keycode, bool pressed);
    // False if a mask or the group does not exist in the keymap.
    bool modifiers(uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group);
    // Absolute pointer position in layout coordinates.
    void pointer_to(double lx, double ly, uint32_t time_msec);
    void button(uint32_t time_msec, uint32_t button, bool pressed);
    void axis(uint32_t time_msec, wlr_axis_orientation orientation, wlr_axis_source source,
              double delta, int32_t discrete);
    void frame();
    // The host window lost the pointer/keyboard: every held key and button is released.
    void release_all(uint32_t time_msec);

private:
    void handle_new_input(wlr_input_device* device);
    void process_motion(uint32_t time_msec);
    friend class Keyboard;

    Server& server_;
    wlr_seat* seat_ = nullptr;                   // destroyed with the display
    wlr_input_device* host_keyboard_ = nullptr;  // owned by the headless backend
    std::unique_ptr<HostCursor> cursor_;
    View* focused_ = nullptr;
    View* moving_ = nullptr;
    double grab_x_ = 0, grab_y_ = 0;
    double pointer_x_ = 0, pointer_y_ = 0;
    bool has_pointer_ = false; // the host has placed the pointer
    std::vector<uint32_t> buttons_; // held
    std::vector<std::unique_ptr<Keyboard>> keyboards_;

    Listener<wlr_input_device> new_input_;
    Listener<wlr_seat_pointer_request_set_cursor_event> request_cursor_;
    Listener<wlr_seat_request_set_selection_event> request_selection_;
    Listener<wlr_seat_request_set_primary_selection_event> request_primary_;
};

} // namespace vdmabuf::compositor
