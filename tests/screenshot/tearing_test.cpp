// Tearing detector: the pattern client commits kFrames frames as fast as the
// compositor takes them (--fps 0: paced by frame callbacks, output at 1000 Hz)
// and a host consumer checks every frame it receives while it holds it:
//   - the stamp decodes (magic) to one frame number N;
//   - every other pixel of the window equals frame N's picture. In full mode
//     every pixel changes from one frame to the next, so the whole surface is
//     the stamp's checksum: a frame mixing two guest frames (torn) fails here.
// Frames the consumer never saw (the compositor shows only the newest) are
// counted and reported as dropped, not failed. Torn frames fail the test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <sys/wait.h>

#include <vdmabuf/shared/time.hpp>

#include "pattern.hpp"
#include "scene.hpp"

namespace vdmabuf::screenshot {
namespace {

using compositor_test::pattern_client_path;

// 10,000 frames, as the issue asks (measured here: see the test output).
constexpr uint32_t kTearingFrames = 10000;

uint32_t frame_count() {
    const char* env = std::getenv("VDMABUF_TEARING_FRAMES");
    const long n = env && *env ? std::strtol(env, nullptr, 10) : 0;
    return n > 0 ? uint32_t(n) : kTearingFrames;
}

TEST(Tearing, EveryReceivedFrameIsExactlyOneGuestFrame) {
    const uint32_t frames = frame_count();
    CompositorOptions opts;
    opts.outputs = {"800x600@1000"};
    opts.command = {"/bin/sleep", "120"};
    std::string error;
    auto scene = Scene::start(opts, error);
    ASSERT_TRUE(scene) << error;
    auto& fixture = scene->fixture();
    auto& viewer = fixture.viewer();

    uint64_t received = 0, torn = 0, unstamped = 0, out_of_order = 0, not_found = 0;
    std::set<uint32_t> seen;
    uint32_t last_frame = 0;
    bool any = false;
    std::optional<pattern::Found> where;
    std::string first_torn;
    viewer.on_present = [&](const consumer::PresentEvent& p) {
        // Called before the release: the buffer is ours while we read it.
        const FrameView v = viewer.frame(p);
        if (!v.pixels)
            return;
        if (!where)
            where = pattern::locate(v.pixels, v.width, v.height, v.stride);
        if (!where || pattern::get(v.pixels, v.stride, where->x, where->y) !=
                          pattern::kLocatorMagic) {
            ++not_found; // the desktop before the window mapped or after it closed
            return;
        }
        ++received;
        const auto stamp = pattern::read_stamp(v.pixels, v.stride, *where);
        if (!stamp) {
            ++unstamped;
            return;
        }
        const int64_t bad = pattern::mismatches(v.pixels, v.stride, *where);
        if (bad != 0) {
            if (torn++ == 0)
                first_torn = "frame " + std::to_string(stamp->frame) + ": " +
                             std::to_string(bad) + " pixels from another frame";
            return;
        }
        if (any && stamp->frame < last_frame)
            ++out_of_order;
        any = true;
        last_frame = stamp->frame;
        seen.insert(stamp->frame);
    };

    std::vector<std::string> argv = fixture.client_env();
    // --hold: the window stays up after the last commit (a client that exits at
    // once takes its window, and maybe its last frame not yet rendered, along).
    argv.insert(argv.end(), {pattern_client_path(), "--mode", "full", "--size", "256x192",
                             "--fps", "0", "--frames", std::to_string(frames), "--hold"});
    const uint64_t start = now_ns();
    ChildProcess client = ChildProcess::spawn(argv);
    ASSERT_TRUE(client);
    const std::string done_line = "committed " + std::to_string(frames) + " frames";
    bool done = false;
    int status = -1;
    ASSERT_TRUE(fixture.pump_until(
        [&] {
            std::string line;
            while (!done && client.read_line(line, 0))
                done = line == done_line;
            return done || client.exited(&status);
        },
        55000))
        << "the client did not commit " << frames << " frames in time (seen " << seen.size()
        << ")";
    ASSERT_TRUE(done) << "the client exited early, wait status " << status;
    const double seconds = double(now_ns() - start) / 1e9;
    // The compositor presents the last frame when the host gives a buffer back.
    fixture.pump_until([&] { return any && last_frame + 1 == frames; }, 10000);

    const uint64_t dropped = frames - seen.size();
    std::printf("tearing: client committed %u frames in %.1f s; consumer received %llu frames "
                "of the window, %zu distinct guest frames, %llu dropped (%.1f%%), %llu torn, "
                "%llu unstamped, %llu out of order, %llu without the window\n",
                frames, seconds, static_cast<unsigned long long>(received), seen.size(),
                static_cast<unsigned long long>(dropped), 100.0 * double(dropped) / frames,
                static_cast<unsigned long long>(torn), static_cast<unsigned long long>(unstamped),
                static_cast<unsigned long long>(out_of_order),
                static_cast<unsigned long long>(not_found));
    EXPECT_EQ(torn, 0u) << first_torn;
    EXPECT_EQ(unstamped, 0u);
    EXPECT_EQ(out_of_order, 0u);
    EXPECT_GT(seen.size(), 0u);
    EXPECT_TRUE(seen.count(frames - 1)) << "the last frame never arrived";
    EXPECT_TRUE(viewer.errors.empty());
    viewer.on_present = nullptr;
}

} // namespace
} // namespace vdmabuf::screenshot
