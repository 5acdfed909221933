// What the compositor exports equals what grim captures through screencopy
// from the same compositor, byte for byte (RGB), for a still scene.
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/wait.h>

#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

TEST(Screencopy, GrimCaptureEqualsExportedFrame) {
    const std::string grim = require_program("grim", "grim");
    CompositorOptions opts;
    opts.outputs = {"640x480"};
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "320x240"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    Viewer& viewer = f->viewer();

    // The still scene: the client's window is on screen and nothing changes.
    bool mapped = false;
    ASSERT_TRUE(f->pump_until(
        [&] {
            viewer.release_all_but_last();
            if (!viewer.held.empty()) {
                const FrameView v = viewer.frame(viewer.held.back());
                mapped = v.pixels && pattern::locate(v.pixels, v.width, v.height, v.stride);
            }
            return mapped;
        },
        20000))
        << "the pattern client never appeared";
    f->pump_until([&] { return now_ns() - viewer.last_present_ns > 500'000'000; }, 5000);

    const std::string png = f->runtime_dir() + "/grim.png";
    std::vector<std::string> argv = f->client_env();
    argv.insert(argv.end(), {grim, png});
    ChildProcess capture = ChildProcess::spawn(argv);
    ASSERT_TRUE(capture);
    int status = -1;
    // Keep serving frames (screencopy may make the compositor render one).
    ASSERT_TRUE(f->pump_until(
        [&] {
            viewer.release_all_but_last();
            return capture.exited(&status);
        },
        20000))
        << "grim did not finish";
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "grim wait status " << status;
    f->pump_for(200);
    viewer.release_all_but_last();
    ASSERT_FALSE(viewer.held.empty());

    const auto shot = read_png(png.c_str());
    ASSERT_TRUE(shot) << "grim wrote no readable PNG";
    const FrameView exported = viewer.frame(viewer.held.back());
    ASSERT_TRUE(exported.pixels);
    ASSERT_EQ(shot->width, exported.width);
    ASSERT_EQ(shot->height, exported.height);
    const FrameView captured{shot->pixels.data(), shot->width, shot->height, shot->stride};
    uint64_t differ = 0;
    uint32_t first_x = 0, first_y = 0;
    for (uint32_t y = 0; y < captured.height; ++y)
        for (uint32_t x = 0; x < captured.width; ++x)
            if (captured.rgb(x, y) != exported.rgb(x, y) && differ++ == 0) {
                first_x = x;
                first_y = y;
            }
    EXPECT_EQ(differ, 0u) << "first difference at " << first_x << "," << first_y << ": grim "
                          << std::hex << captured.rgb(first_x, first_y) << ", exported "
                          << exported.rgb(first_x, first_y);
    // And the capture is of the scene, not of an empty or stale frame.
    const auto where =
        pattern::locate(captured.pixels, captured.width, captured.height, captured.stride);
    ASSERT_TRUE(where);
    EXPECT_EQ(pattern::mismatches(captured.pixels, captured.stride, *where), 0);
    if (differ != 0) {
        const std::string dir = ::testing::TempDir();
        (void)write_png((dir + "exported.png").c_str(), exported.pixels, exported.width,
                        exported.height, exported.stride,
                        viewer.info(viewer.held.back().id)->fourcc);
        std::error_code ec;
        std::filesystem::copy_file(png, dir + "grim.png",
                                   std::filesystem::copy_options::overwrite_existing, ec);
        ADD_FAILURE() << "images kept: " << dir << "exported.png, " << dir << "grim.png";
    }
}

} // namespace
} // namespace vdmabuf::compositor_test
