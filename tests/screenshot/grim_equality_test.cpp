// Equality across the boundary: for a still scene, the host viewer's
// screenshot equals grim's capture from the guest compositor (screencopy,
// WAYLAND_DISPLAY of the compositor) byte for byte: R, G, B exactly, and
// alpha opaque in both (the output is XRGB, so alpha carries nothing).
#include <gtest/gtest.h>

#include <cstring>
#include <sys/wait.h>

#include "pattern.hpp"
#include "scene.hpp"

namespace vdmabuf::screenshot {
namespace {

using compositor_test::pattern_client_path;
using compositor_test::require_program;

TEST(Boundary, ViewerScreenshotEqualsGrim) {
    const std::string grim = require_program("grim", "grim");
    CompositorOptions opts;
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "360x260"};
    std::string error;
    auto scene = Scene::start(opts, error);
    ASSERT_TRUE(scene) << error;
    ASSERT_TRUE(scene->wait_for_frame(
        [](const FrameView& v) {
            return pattern::locate(v.pixels, v.width, v.height, v.stride).has_value();
        },
        30000));
    ASSERT_TRUE(scene->wait_still(700, 30000));

    const std::string png = scene->fixture().runtime_dir() + "/grim.png";
    std::vector<std::string> argv = scene->fixture().client_env();
    argv.insert(argv.end(), {grim, png});
    ChildProcess capture = ChildProcess::spawn(argv);
    ASSERT_TRUE(capture);
    int status = -1;
    ASSERT_TRUE(scene->fixture().pump_until([&] { return capture.exited(&status); }, 20000))
        << "grim did not finish";
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "grim wait status " << status;
    const auto grim_shot = read_png(png.c_str());
    ASSERT_TRUE(grim_shot);

    ASSERT_TRUE(scene->wait_still(700, 30000));
    auto viewer_shot = scene->viewer_screenshot("boundary", error);
    ASSERT_TRUE(viewer_shot) << error;

    ASSERT_EQ(viewer_shot->width, grim_shot->width);
    ASSERT_EQ(viewer_shot->height, grim_shot->height);
    // read_png gives both as B, G, R, A bytes with stride width * 4.
    ASSERT_EQ(viewer_shot->pixels.size(), grim_shot->pixels.size());
    uint64_t rgb_differ = 0, alpha_not_opaque = 0;
    for (size_t i = 0; i < viewer_shot->pixels.size(); i += 4) {
        rgb_differ += std::memcmp(&viewer_shot->pixels[i], &grim_shot->pixels[i], 3) != 0;
        alpha_not_opaque += viewer_shot->pixels[i + 3] != 0xff || grim_shot->pixels[i + 3] != 0xff;
    }
    EXPECT_EQ(alpha_not_opaque, 0u);
    if (rgb_differ != 0 || alpha_not_opaque != 0) {
        const std::string dir = output_dir(build_out_dir());
        (void)write_png((dir + "/boundary.viewer.png").c_str(), *viewer_shot);
        (void)write_png((dir + "/boundary.grim.png").c_str(), *grim_shot);
        ADD_FAILURE() << rgb_differ << " pixels differ; images kept in " << dir;
    }
    EXPECT_TRUE(viewer_shot->pixels == grim_shot->pixels) << "not byte for byte equal";
    // And it is the scene, not an empty desktop.
    const auto where = pattern::locate(viewer_shot->pixels.data(), viewer_shot->width,
                                       viewer_shot->height, viewer_shot->stride);
    ASSERT_TRUE(where);
    EXPECT_EQ(pattern::mismatches(viewer_shot->pixels.data(), viewer_shot->stride, *where), 0);
    std::printf("viewer screenshot == grim capture: %ux%u, %llu differing pixels\n",
                viewer_shot->width, viewer_shot->height,
                static_cast<unsigned long long>(rgb_differ));
}

} // namespace
} // namespace vdmabuf::screenshot
