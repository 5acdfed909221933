// Clients map and render: the host consumer imports the PRESENTed buffers and
// finds the client's pixels in them. Our pattern client is checked pixel for
// pixel; real clients (weston-simple-shm, weston-simple-egl, foot, gtk3-demo,
// xeyes through Xwayland) against the empty desktop of the same compositor.
#include <gtest/gtest.h>

#include <cstdlib>
#include <drm_fourcc.h>

#include <vdmabuf/shared/png.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

constexpr int kMapTimeoutMs = 30000;

std::unique_ptr<CompositorFixture> start_or_fail(const CompositorOptions& opts) {
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    EXPECT_TRUE(f) << error;
    return f;
}

// Waits for a frame that satisfies `accept`, releasing every other one as it
// goes (so the compositor never runs out of buffers). The accepted frame
// stays held. True if one came.
bool wait_for_frame(CompositorFixture& f, const std::function<bool(const FrameView&)>& accept,
                    int timeout_ms) {
    bool found = false;
    f.pump_until(
        [&] {
            while (!f.viewer().held.empty() && !found) {
                const consumer::PresentEvent p = f.viewer().held.back();
                f.viewer().release_all_but_last();
                const FrameView view = f.viewer().frame(p);
                if (view.pixels && accept(view))
                    found = true;
                else
                    f.viewer().release(p);
            }
            return found;
        },
        timeout_ms);
    return found;
}

TEST(Clients, PatternClientPixelsArriveExactly) {
    CompositorOptions opts;
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "300x200"};
    auto f = start_or_fail(opts);
    ASSERT_TRUE(f);
    std::optional<pattern::Found> where;
    ASSERT_TRUE(wait_for_frame(
        *f,
        [&](const FrameView& v) {
            where = pattern::locate(v.pixels, v.width, v.height, v.stride);
            return where.has_value();
        },
        kMapTimeoutMs))
        << "the client's window never appeared in a PRESENTed buffer";
    const FrameView v = f->viewer().frame(f->viewer().held.back());
    EXPECT_EQ(where->layout.width, 300u);
    EXPECT_EQ(where->layout.height, 200u);
    EXPECT_EQ(pattern::mismatches(v.pixels, v.stride, *where), 0)
        << "window at " << where->x << "," << where->y;
    const auto stamp = pattern::read_stamp(v.pixels, v.stride, *where);
    ASSERT_TRUE(stamp);
    EXPECT_EQ(stamp->frame, 0u);
    EXPECT_TRUE(f->viewer().errors.empty());
}

// Every pixel of the frame compared with the empty desktop; a client that
// mapped and drew changes at least `min_pixels` of them.
void expect_client_renders(const std::vector<std::string>& command, bool xwayland,
                           std::vector<std::string> env = {}, uint64_t min_pixels = 2000) {
    // The empty desktop of this compositor, as its consumer sees it.
    std::vector<uint32_t> empty;
    {
        CompositorOptions opts;
        opts.command = {"/bin/sleep", "60"};
        auto f = start_or_fail(opts);
        ASSERT_TRUE(f);
        ASSERT_TRUE(wait_for_frame(
            *f,
            [&](const FrameView& v) {
                empty = copy_rgb(v);
                return true;
            },
            10000))
            << "no PRESENT from a compositor without clients";
        // Let the desktop settle: the last frame of a still desktop.
        f->pump_for(500);
        if (!f->viewer().held.empty())
            empty = copy_rgb(f->viewer().frame(f->viewer().held.back()));
    }
    CompositorOptions opts;
    opts.command = command;
    opts.xwayland = xwayland;
    opts.env = std::move(env);
    auto f = start_or_fail(opts);
    ASSERT_TRUE(f);
    uint64_t best = 0;
    const bool drawn = wait_for_frame(
        *f,
        [&](const FrameView& v) {
            const auto now = copy_rgb(v);
            if (now.size() != empty.size())
                return false;
            best = std::max(best, count_differences(now, empty));
            if (best < min_pixels)
                return false;
            // VDMABUF_TEST_DUMP=DIR keeps the accepted frame, to look at.
            if (const char* dir = std::getenv("VDMABUF_TEST_DUMP")) {
                const std::string name = command[0].substr(command[0].rfind('/') + 1);
                (void)write_png((std::string(dir) + "/" + name + ".png").c_str(), v.pixels, v.width,
                                v.height, v.stride, DRM_FORMAT_XRGB8888);
            }
            return true;
        },
        kMapTimeoutMs);
    EXPECT_TRUE(drawn) << command[0] << ": at most " << best
                       << " pixels differed from the empty desktop; wanted " << min_pixels
                       << (f->compositor_exited() ? " (the compositor exited)" : "");
    std::printf("%s: %llu pixels differ from the empty desktop\n", command[0].c_str(),
                static_cast<unsigned long long>(best));
    EXPECT_FALSE(f->compositor_exited()) << "the compositor exited while " << command[0] << " ran";
    EXPECT_TRUE(f->viewer().errors.empty());
}

TEST(Clients, WestonSimpleShm) {
    expect_client_renders({require_program("weston-simple-shm", "weston")}, false);
}

TEST(Clients, WestonSimpleEgl) {
    expect_client_renders({require_program("weston-simple-egl", "weston")}, false,
                          {"LIBGL_ALWAYS_SOFTWARE=1"});
}

TEST(Clients, Foot) {
    expect_client_renders({require_program("foot", "foot"), "--", "/bin/sh", "-c",
                           "echo vdmabuf foot test; exec sleep 60"},
                          false);
}

TEST(Clients, Gtk3Demo) {
    expect_client_renders({require_program("gtk3-demo", "gtk-3-examples")}, false,
                          {"GDK_BACKEND=wayland", "NO_AT_BRIDGE=1"});
}

TEST(Clients, XeyesThroughXwayland) {
    require_program("Xwayland", "xwayland");
    expect_client_renders({require_program("xeyes", "x11-apps")}, true, {}, 1000);
}

} // namespace
} // namespace vdmabuf::compositor_test
