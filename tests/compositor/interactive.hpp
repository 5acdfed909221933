// Helpers of the compositor's interactive-session tests (input, outputs, cursor):
// a fixture whose consumer also speaks for the host window, sending INPUT,
// KEYMAP, MODE and HOTPLUG to the guest through vdmabufd.
#pragma once

#include "fixture.hpp"
#include "input_client.hpp"

#include <gtest/gtest.h>

#include <linux/input-event-codes.h>

#include <optional>
#include <string>

namespace vdmabuf::compositor_test {

// A point well inside the visible part of the window drawn in `rgb` in a frame
// (every pixel within 4 of it has that colour); nullopt if none.
[[nodiscard]] inline std::optional<std::pair<uint32_t, uint32_t>>
find_colour(const FrameView& v, uint32_t rgb) {
    constexpr uint32_t r = 4;
    for (uint32_t y = r; y + r < v.height; ++y)
        for (uint32_t x = r; x + r < v.width; ++x)
            if (v.rgb(x, y) == rgb && v.rgb(x - r, y - r) == rgb && v.rgb(x + r, y + r) == rgb &&
                v.rgb(x + r, y - r) == rgb && v.rgb(x - r, y + r) == rgb)
                return std::make_pair(x, y);
    return std::nullopt;
}

class Session {
public:
    // A compositor with `outputs`, no startup command, frames released on arrival;
    // nullptr (error set) on failure or when no GUEST_NEW arrives.
    [[nodiscard]] static std::unique_ptr<Session> start(std::vector<std::string> outputs,
                                                        std::string& error) {
        CompositorOptions opts;
        opts.outputs = std::move(outputs);
        auto f = CompositorFixture::start(opts, error);
        if (!f)
            return nullptr;
        f->viewer().release_on_arrival = true;
        auto s = std::unique_ptr<Session>(new Session);
        Session* self = s.get();
        // Installed before anything is dispatched, so no frame goes unseen.
        f->viewer().on_present = [self](const consumer::PresentEvent& p) {
            const FrameView v = self->f->viewer().frame(p);
            if (!v.pixels)
                return;
            Picture& pic = self->pictures[p.output];
            pic.width = v.width;
            pic.height = v.height;
            pic.rgb = copy_rgb(v);
            ++pic.frames;
        };
        s->f = std::move(f);
        if (!s->f->pump_until([self] { return self->f->viewer().guest.has_value(); }, 10000)) {
            error = "no GUEST_NEW for the compositor";
            return nullptr;
        }
        s->guest = *s->f->viewer().guest;
        return s;
    }

    // The newest frame of each output, as RGB words.
    struct Picture {
        uint32_t width = 0, height = 0;
        std::vector<uint32_t> rgb;
        uint64_t frames = 0;
        [[nodiscard]] FrameView view() const {
            return FrameView{reinterpret_cast<const uint8_t*>(rgb.data()), width, height,
                             width * 4};
        }
    };
    std::map<uint32_t, Picture> pictures;

    std::unique_ptr<CompositorFixture> f;
    uint32_t guest = 0;

    [[nodiscard]] Viewer& viewer() { return f->viewer(); }
    bool input(uint32_t kind, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0, uint32_t d = 0,
               uint32_t output = 0) {
        return viewer().client().send_input(guest, output, kind, a, b, c, d);
    }
    // Absolute motion to output pixel (x, y), then a frame.
    bool move(double x, double y, uint32_t output = 0) {
        return input(VDMABUF_INPUT_MOTION, uint32_t(x * 256), uint32_t(y * 256), 0, 0, output) &&
               input(VDMABUF_INPUT_FRAME, 0, 0, 0, 0, output);
    }
    bool key(uint32_t code, bool pressed) { return input(VDMABUF_INPUT_KEY, code, pressed); }
    bool tap(uint32_t code) { return key(code, true) && key(code, false); }
    bool button(uint32_t code, bool pressed) {
        return input(VDMABUF_INPUT_BUTTON, code, pressed) && input(VDMABUF_INPUT_FRAME);
    }
    bool click(double x, double y) {
        return move(x, y) && button(BTN_LEFT, true) && button(BTN_LEFT, false);
    }
    // Waits until `output` shows the colour `rgb`; a point well inside it.
    std::optional<std::pair<uint32_t, uint32_t>> wait_for_colour(uint32_t rgb,
                                                                 uint32_t output = 0,
                                                                 int timeout_ms = 20000) {
        std::optional<std::pair<uint32_t, uint32_t>> at;
        f->pump_until(
            [&] {
                at = find_colour(pictures[output].view(), rgb);
                return at.has_value();
            },
            timeout_ms);
        return at;
    }
};

// Starts an input client (its default colour, 0x3366cc, unless args say
// otherwise), waits until it shows and has the keyboard, and moves the pointer
// into it; nullptr (a test failure recorded) if any step does not happen.
inline std::unique_ptr<InputClient> start_pointed_client(Session& s,
                                                         const std::vector<std::string>& args,
                                                         uint32_t rgb = 0x3366cc) {
    auto client = InputClient::start(*s.f, args);
    EXPECT_TRUE(client) << "the input client did not start";
    if (!client)
        return nullptr;
    const auto at = s.wait_for_colour(rgb);
    EXPECT_TRUE(at) << "the input client's window is not visible";
    if (!at || !client->wait_for_line(*s.f, "keyboard-enter", 20000))
        return nullptr;
    const size_t from = client->mark();
    EXPECT_TRUE(s.move(at->first, at->second));
    const bool entered =
        client->wait_for(*s.f, [](const std::string& l) { return l.rfind("enter ", 0) == 0; },
                         20000, from)
            .has_value();
    EXPECT_TRUE(entered) << "no pointer enter\n" << client->dump();
    return entered ? std::move(client) : nullptr;
}

// A Session on `outputs`, or a test failure saying why not.
inline std::unique_ptr<Session> start_session(std::vector<std::string> outputs = {"640x480"}) {
    std::string error;
    auto s = Session::start(std::move(outputs), error);
    EXPECT_TRUE(s) << error;
    return s;
}

} // namespace vdmabuf::compositor_test
