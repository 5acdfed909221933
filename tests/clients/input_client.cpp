// vdmabuf-input-client: an xdg-shell window of one colour that reports every
// input event it receives, for the compositor and interactive tests.
//
//   vdmabuf-input-client [--size WxH] [--color RRGGBB] [--title T]
//                        [--maximize] [--fullscreen]
//                        [--cursor default|none|square] [--cursor-size N]
//
// Output (stdout): one line per event, flushed at once, fields separated by one
// space. This format is stable; tests match whole lines or their first words.
//
//   ready W H                       first configure acked, first buffer committed
//   configure W H [STATE...]        xdg_toplevel.configure (STATE: maximized,
//                                   fullscreen, resizing, activated)
//   keymap BYTES                    wl_keyboard.keymap (xkb v1 text)
//   repeat RATE DELAY               wl_keyboard.repeat_info
//   keyboard-enter                  wl_keyboard.enter
//   keyboard-leave                  wl_keyboard.leave
//   key KEYSYM UTF8 pressed|released
//                                   KEYSYM: xkb keysym name ("a", "Z", "Return");
//                                   UTF8: the text the key types in the current
//                                   xkb state, "-" if none, whitespace or control
//   modifiers DEPRESSED LATCHED LOCKED GROUP
//   enter X Y                       wl_pointer.enter (surface coordinates)
//   leave                           wl_pointer.leave
//   motion X Y                      wl_pointer.motion
//   button CODE pressed|released    CODE: evdev code in decimal (BTN_LEFT = 272)
//   axis-source wheel|finger|continuous|wheel-tilt
//   axis vertical|horizontal VALUE DISCRETE
//                                   VALUE: wl_pointer units; DISCRETE: the
//                                   axis_discrete steps that came with it, or 0
//
// X, Y and VALUE are printed with %.8g ("100", "12.5", "-10"). The window is
// redrawn at the configured size when the compositor gives one (maximized).
// --cursor square sets a --cursor-size square ARGB cursor (opaque magenta, hotspot
// 1,1) on every pointer enter; none hides the cursor; default sets nothing.
// Exits 0 when closed, 1 if the compositor goes away or lacks a global.
#define VDM_LOG_SCOPE "input-client"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <poll.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include <linux/input-event-codes.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "client_window.hpp"
#include "shm_buffer.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::testclient {
namespace {

enum class CursorMode { def, none, square };

struct Options {
    uint32_t width = 320;
    uint32_t height = 240;
    uint32_t color = 0x3366cc;
    std::string title = "vdmabuf-input-client";
    bool maximize = false;
    bool fullscreen = false;
    CursorMode cursor = CursorMode::def;
    uint32_t cursor_size = 16;
};

void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::vprintf(fmt, args);
    va_end(args);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

class InputClient final : private WindowEvents {
public:
    explicit InputClient(const Options& opts) : opts_(opts) {}
    ~InputClient();
    InputClient(const InputClient&) = delete;
    InputClient& operator=(const InputClient&) = delete;

    [[nodiscard]] bool connect();
    int run();

    // Listener entry points.
    static void seat_capabilities(void* data, wl_seat* seat, uint32_t caps);
    static void seat_name(void*, wl_seat*, const char*) {}

    static void kb_keymap(void* data, wl_keyboard*, uint32_t format, int32_t fd, uint32_t size);
    static void kb_enter(void*, wl_keyboard*, uint32_t, wl_surface*, wl_array*) {
        say("keyboard-enter");
    }
    static void kb_leave(void*, wl_keyboard*, uint32_t, wl_surface*) { say("keyboard-leave"); }
    static void kb_key(void* data, wl_keyboard*, uint32_t serial, uint32_t time, uint32_t key,
                       uint32_t state);
    static void kb_modifiers(void* data, wl_keyboard*, uint32_t serial, uint32_t depressed,
                             uint32_t latched, uint32_t locked, uint32_t group);
    static void kb_repeat(void*, wl_keyboard*, int32_t rate, int32_t delay) {
        say("repeat %d %d", rate, delay);
    }

    static void ptr_enter(void* data, wl_pointer*, uint32_t serial, wl_surface*, wl_fixed_t x,
                          wl_fixed_t y);
    static void ptr_leave(void*, wl_pointer*, uint32_t, wl_surface*) { say("leave"); }
    static void ptr_motion(void*, wl_pointer*, uint32_t, wl_fixed_t x, wl_fixed_t y) {
        say("motion %.8g %.8g", wl_fixed_to_double(x), wl_fixed_to_double(y));
    }
    static void ptr_button(void*, wl_pointer*, uint32_t, uint32_t, uint32_t button,
                           uint32_t state) {
        say("button %u %s", button,
            state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released");
    }
    static void ptr_axis(void* data, wl_pointer*, uint32_t, uint32_t axis, wl_fixed_t value);
    static void ptr_frame(void*, wl_pointer*) {}
    static void ptr_axis_source(void*, wl_pointer*, uint32_t source);
    static void ptr_axis_stop(void*, wl_pointer*, uint32_t, uint32_t) {}
    static void ptr_axis_discrete(void* data, wl_pointer*, uint32_t axis, int32_t discrete) {
        auto* self = static_cast<InputClient*>(data);
        if (axis < 2)
            self->discrete_[axis] = discrete;
    }

private:
    void configured() override;
    void toplevel_configure(int32_t w, int32_t h, wl_array* states) override;
    void closed() override { running_ = false; }
    void seat_bound(wl_seat* seat) override;
    void draw(uint32_t width, uint32_t height);
    void set_cursor(uint32_t serial);

    ClientWindow window_; // first: outlives the proxies and buffers below
    Options opts_;
    wl_keyboard* keyboard_ = nullptr;
    wl_pointer* pointer_ = nullptr;
    wl_surface* cursor_surface_ = nullptr;
    std::unique_ptr<ShmBuffer> cursor_buffer_;
    std::vector<std::unique_ptr<ShmBuffer>> buffers_; // replaced on resize
    xkb_context* xkb_ = nullptr;
    xkb_keymap* keymap_ = nullptr;
    xkb_state* state_ = nullptr;
    uint32_t width_ = 0, height_ = 0;          // drawn size
    int32_t pending_w_ = 0, pending_h_ = 0;    // last toplevel configure
    int32_t discrete_[2] = {0, 0};
    bool configured_ = false;
    bool running_ = true;
};

const wl_seat_listener kSeatListener = {InputClient::seat_capabilities, InputClient::seat_name};
const wl_keyboard_listener kKeyboardListener = {
    InputClient::kb_keymap, InputClient::kb_enter,     InputClient::kb_leave,
    InputClient::kb_key,    InputClient::kb_modifiers, InputClient::kb_repeat};
const wl_pointer_listener kPointerListener = {
    InputClient::ptr_enter,       InputClient::ptr_leave,       InputClient::ptr_motion,
    InputClient::ptr_button,      InputClient::ptr_axis,        InputClient::ptr_frame,
    InputClient::ptr_axis_source, InputClient::ptr_axis_stop,   InputClient::ptr_axis_discrete};

void InputClient::seat_bound(wl_seat* seat) {
    wl_seat_add_listener(seat, &kSeatListener, this);
}

void InputClient::seat_capabilities(void* data, wl_seat* seat, uint32_t caps) {
    auto* self = static_cast<InputClient*>(data);
    if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && !self->keyboard_) {
        self->keyboard_ = wl_seat_get_keyboard(seat);
        wl_keyboard_add_listener(self->keyboard_, &kKeyboardListener, self);
    }
    if ((caps & WL_SEAT_CAPABILITY_POINTER) && !self->pointer_) {
        self->pointer_ = wl_seat_get_pointer(seat);
        wl_pointer_add_listener(self->pointer_, &kPointerListener, self);
    }
}

void InputClient::toplevel_configure(int32_t w, int32_t h, wl_array* states) {
    std::string line = "configure " + std::to_string(w) + " " + std::to_string(h);
    const auto* s = static_cast<const uint32_t*>(states->data);
    for (size_t i = 0; i < states->size / sizeof(uint32_t); ++i) {
        switch (s[i]) {
        case XDG_TOPLEVEL_STATE_MAXIMIZED: line += " maximized"; break;
        case XDG_TOPLEVEL_STATE_FULLSCREEN: line += " fullscreen"; break;
        case XDG_TOPLEVEL_STATE_RESIZING: line += " resizing"; break;
        case XDG_TOPLEVEL_STATE_ACTIVATED: line += " activated"; break;
        default: break;
        }
    }
    say("%s", line.c_str());
    pending_w_ = w;
    pending_h_ = h;
}

void InputClient::configured() {
    const uint32_t w = pending_w_ > 0 ? uint32_t(pending_w_) : opts_.width;
    const uint32_t h = pending_h_ > 0 ? uint32_t(pending_h_) : opts_.height;
    if (!configured_ || w != width_ || h != height_)
        draw(w, h);
    if (!configured_) {
        configured_ = true;
        say("ready %u %u", w, h);
        if (opts_.maximize)
            xdg_toplevel_set_maximized(window_.toplevel());
        if (opts_.fullscreen)
            xdg_toplevel_set_fullscreen(window_.toplevel(), nullptr);
    }
}

void InputClient::draw(uint32_t width, uint32_t height) {
    auto buffer = ShmBuffer::create(window_.shm(), width, height);
    if (!buffer) {
        running_ = false;
        return;
    }
    for (uint32_t y = 0; y < height; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(buffer->pixels() + size_t(y) * buffer->stride());
        for (uint32_t x = 0; x < width; ++x)
            row[x] = 0xff000000u | opts_.color;
    }
    wl_surface* surface = window_.surface();
    wl_surface_attach(surface, buffer->buffer(), 0, 0);
    wl_surface_damage_buffer(surface, 0, 0, int32_t(width), int32_t(height));
    wl_surface_commit(surface);
    buffer->busy = true;
    // Buffers of an old size are dropped once released (one still shows).
    std::erase_if(buffers_, [](const auto& b) { return !b->busy; });
    buffers_.push_back(std::move(buffer));
    width_ = width;
    height_ = height;
}

void InputClient::kb_keymap(void* data, wl_keyboard*, uint32_t format, int32_t fd,
                            uint32_t size) {
    auto* self = static_cast<InputClient*>(data);
    if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 || size == 0) {
        close(fd);
        return;
    }
    void* text = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (text == MAP_FAILED) {
        VDM_ERRNO("mmap keymap");
        return;
    }
    xkb_keymap* keymap = xkb_keymap_new_from_string(self->xkb_, static_cast<const char*>(text),
                                                    XKB_KEYMAP_FORMAT_TEXT_V1,
                                                    XKB_KEYMAP_COMPILE_NO_FLAGS);
    munmap(text, size);
    if (!keymap) {
        VDM_ERROR("the compositor's keymap does not compile");
        return;
    }
    xkb_state_unref(self->state_);
    xkb_keymap_unref(self->keymap_);
    self->keymap_ = keymap;
    self->state_ = xkb_state_new(keymap);
    say("keymap %u", size);
}

void InputClient::kb_key(void* data, wl_keyboard*, uint32_t, uint32_t, uint32_t key,
                         uint32_t state) {
    auto* self = static_cast<InputClient*>(data);
    if (!self->state_)
        return;
    const xkb_keycode_t code = key + 8;
    const xkb_keysym_t sym = xkb_state_key_get_one_sym(self->state_, code);
    char name[64] = "-";
    if (xkb_keysym_get_name(sym, name, sizeof name) <= 0)
        std::snprintf(name, sizeof name, "0x%x", sym);
    char text[16] = "";
    xkb_state_key_get_utf8(self->state_, code, text, sizeof text);
    const bool printable = text[0] != '\0' && static_cast<unsigned char>(text[0]) > 0x20 &&
                           text[0] != 0x7f;
    say("key %s %s %s", name, printable ? text : "-",
        state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released");
}

void InputClient::kb_modifiers(void* data, wl_keyboard*, uint32_t, uint32_t depressed,
                               uint32_t latched, uint32_t locked, uint32_t group) {
    auto* self = static_cast<InputClient*>(data);
    if (self->state_)
        xkb_state_update_mask(self->state_, depressed, latched, locked, 0, 0, group);
    say("modifiers %u %u %u %u", depressed, latched, locked, group);
}

void InputClient::ptr_enter(void* data, wl_pointer*, uint32_t serial, wl_surface*, wl_fixed_t x,
                            wl_fixed_t y) {
    auto* self = static_cast<InputClient*>(data);
    say("enter %.8g %.8g", wl_fixed_to_double(x), wl_fixed_to_double(y));
    self->set_cursor(serial);
}

void InputClient::ptr_axis(void* data, wl_pointer*, uint32_t, uint32_t axis, wl_fixed_t value) {
    auto* self = static_cast<InputClient*>(data);
    int32_t discrete = 0;
    if (axis < 2) {
        discrete = self->discrete_[axis];
        self->discrete_[axis] = 0;
    }
    say("axis %s %.8g %d", axis == WL_POINTER_AXIS_VERTICAL_SCROLL ? "vertical" : "horizontal",
        wl_fixed_to_double(value), discrete);
}

void InputClient::ptr_axis_source(void*, wl_pointer*, uint32_t source) {
    static const char* const kNames[] = {"wheel", "finger", "continuous", "wheel-tilt"};
    say("axis-source %s", source < 4 ? kNames[source] : "unknown");
}

void InputClient::set_cursor(uint32_t serial) {
    if (opts_.cursor == CursorMode::def)
        return;
    if (opts_.cursor == CursorMode::none) {
        wl_pointer_set_cursor(pointer_, serial, nullptr, 0, 0);
        return;
    }
    if (!cursor_surface_) {
        const uint32_t n = opts_.cursor_size;
        cursor_buffer_ = ShmBuffer::create(window_.shm(), n, n, WL_SHM_FORMAT_ARGB8888);
        if (!cursor_buffer_)
            return;
        for (uint32_t y = 0; y < n; ++y) {
            auto* row = reinterpret_cast<uint32_t*>(cursor_buffer_->pixels() +
                                                    size_t(y) * cursor_buffer_->stride());
            for (uint32_t x = 0; x < n; ++x)
                row[x] = 0xffff00ffu; // opaque magenta
        }
        cursor_surface_ = wl_compositor_create_surface(window_.compositor());
        wl_surface_attach(cursor_surface_, cursor_buffer_->buffer(), 0, 0);
        wl_surface_damage_buffer(cursor_surface_, 0, 0, int32_t(n), int32_t(n));
    }
    wl_pointer_set_cursor(pointer_, serial, cursor_surface_, 1, 1);
    wl_surface_commit(cursor_surface_);
}

bool InputClient::connect() {
    xkb_ = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
    if (!xkb_) {
        VDM_ERRNO("xkb_context_new");
        return false;
    }
    return window_.connect(*this, opts_.title.c_str(), "vdmabuf-input-client", true);
}

int InputClient::run() {
    while (running_) {
        if (wl_display_dispatch(window_.display()) < 0) {
            VDM_ERROR("lost the compositor: %s",
                      std::strerror(wl_display_get_error(window_.display())));
            return 1;
        }
    }
    return 0;
}

InputClient::~InputClient() {
    buffers_.clear();
    cursor_buffer_.reset();
    if (cursor_surface_)
        wl_surface_destroy(cursor_surface_);
    if (keyboard_)
        wl_keyboard_destroy(keyboard_);
    if (pointer_)
        wl_pointer_destroy(pointer_);
    xkb_state_unref(state_);
    xkb_keymap_unref(keymap_);
    xkb_context_unref(xkb_);
}

[[noreturn]] void usage(int status) {
    std::fprintf(status ? stderr : stdout,
                 "usage: vdmabuf-input-client [--size WxH] [--color RRGGBB] [--title T]\n"
                 "                            [--maximize] [--fullscreen]\n"
                 "                            [--cursor default|none|square] [--cursor-size N]\n");
    std::exit(status);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help")
            usage(0);
        if (arg == "--maximize") {
            o.maximize = true;
            continue;
        }
        if (arg == "--fullscreen") {
            o.fullscreen = true;
            continue;
        }
        if (i + 1 >= argc)
            usage(2);
        const std::string value = argv[++i];
        bool ok = true;
        if (arg == "--size") {
            unsigned w = 0, h = 0;
            char extra = 0;
            ok = std::sscanf(value.c_str(), "%ux%u%c", &w, &h, &extra) == 2 && w >= 1 && h >= 1 &&
                 w <= 8192 && h <= 8192;
            o.width = w;
            o.height = h;
        } else if (arg == "--color") {
            char* end = nullptr;
            const unsigned long c = std::strtoul(value.c_str(), &end, 16);
            ok = value.size() == 6 && *end == '\0';
            o.color = uint32_t(c);
        } else if (arg == "--title") {
            o.title = value;
        } else if (arg == "--cursor") {
            ok = value == "default" || value == "none" || value == "square";
            o.cursor = value == "none"     ? CursorMode::none
                       : value == "square" ? CursorMode::square
                                           : CursorMode::def;
        } else if (arg == "--cursor-size") {
            char* end = nullptr;
            const unsigned long n = std::strtoul(value.c_str(), &end, 10);
            ok = *end == '\0' && n >= 2 && n <= 512;
            o.cursor_size = uint32_t(n);
        } else {
            ok = false;
        }
        if (!ok) {
            std::fprintf(stderr, "vdmabuf-input-client: bad %s '%s'\n", arg.c_str(), value.c_str());
            usage(2);
        }
    }
    return o;
}

} // namespace
} // namespace vdmabuf::testclient

int main(int argc, char** argv) {
    using namespace vdmabuf::testclient;
    vdmabuf::log::set_program("input-client");
    const Options opts = parse(argc, argv);
    InputClient client(opts);
    if (!client.connect())
        return 1;
    return client.run();
}
