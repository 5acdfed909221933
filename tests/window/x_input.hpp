// Real X input for the window suite: XTest events injected into the X server
// (the viewer's window receives them as from a keyboard and mouse), and the
// pointer's current cursor image read back with XFixes. Declared without
// Xlib's headers (their macros clash with gtest's names).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xvfb.hpp"

namespace vdmabuf::window_test {


class XInput {
public:
    explicit XInput(Display* d) : d_(d) {}
    // The XTEST extension is there (else nothing can be injected).
    [[nodiscard]] bool available() const;
    // Pointer to (x, y) of window w.
    void move(Window w, int x, int y) const;
    // X button 1-3 clicks, 4-7 wheel steps: a press and a release.
    void click(unsigned button) const;
    // Only a press or only a release (a drag).
    void button(unsigned button, bool pressed) const;
    // Each character as the server's keymap types it (Shift where its keysym
    // is on level 2; '\n' is Return); false at a character without a key.
    [[nodiscard]] bool type(const std::string& text) const;
    // Presses the keysyms in order and releases them in reverse.
    [[nodiscard]] bool chord(const std::vector<unsigned long>& keysyms) const;
    // Only a press or only a release of the key with `keysym`.
    [[nodiscard]] bool key_event(unsigned long keysym, bool pressed) const;

private:
    [[nodiscard]] bool key(unsigned long keysym, bool pressed) const;
    Display* d_;
};

// The cursor the X server shows now (XFixesGetCursorImage): premultiplied
// ARGB pixels, rows packed.
struct XCursorImage {
    uint32_t width = 0, height = 0, hotspot_x = 0, hotspot_y = 0;
    std::vector<uint32_t> argb;
};
[[nodiscard]] std::optional<XCursorImage> current_cursor(Display* d);

// Sets the root window's _XKB_RULES_NAMES as setxkbmap leaves it (rules,
// model, layout, variant, options).
void set_rules_names(Display* d, const std::string& layout, const std::string& variant);

} // namespace vdmabuf::window_test
