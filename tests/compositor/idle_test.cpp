// Idle: with a still scene the compositor presents nothing (2 s watched).
#include <gtest/gtest.h>

#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

void expect_idle(const std::vector<std::string>& command, bool wait_for_pattern) {
    CompositorOptions opts;
    opts.command = command;
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    Viewer& viewer = f->viewer();

    bool ready = false;
    ASSERT_TRUE(f->pump_until(
        [&] {
            viewer.release_all_but_last();
            if (!viewer.held.empty()) {
                const FrameView v = viewer.frame(viewer.held.back());
                ready = !wait_for_pattern ||
                        (v.pixels && pattern::locate(v.pixels, v.width, v.height, v.stride));
            }
            return ready;
        },
        20000))
        << (wait_for_pattern ? "the still client never appeared" : "no first frame");
    // A few trailing frames may follow the map; then (1 s without one) the
    // scene is still.
    viewer.release_on_arrival = true;
    viewer.release_all();
    ASSERT_TRUE(
        f->pump_until([&] { return now_ns() - viewer.last_present_ns > 1'000'000'000; }, 10000))
        << "the compositor never went quiet: " << viewer.presents << " PRESENTs";
    const uint64_t before = viewer.presents;
    f->pump_for(2000);
    EXPECT_EQ(viewer.presents, before) << "PRESENTs during 2 s of a still scene";
    EXPECT_FALSE(f->compositor_exited());
    EXPECT_TRUE(viewer.errors.empty());
}

TEST(Idle, StillClientNoPresentFor2s) {
    expect_idle({pattern_client_path(), "--mode", "still", "--size", "200x150"}, true);
}

TEST(Idle, EmptyDesktopNoPresentFor2s) {
    expect_idle({"/bin/sleep", "60"}, false);
}

} // namespace
} // namespace vdmabuf::compositor_test
