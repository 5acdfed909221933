#include "options.hpp"

#include <gtest/gtest.h>

using namespace vdmabuf::compositor;

namespace {

std::optional<Options> parse(std::vector<const char*> args, std::string& error) {
    args.insert(args.begin(), "vdmabuf-compositor");
    return parse_options(static_cast<int>(args.size()), args.data(), error);
}

} // namespace

TEST(Options, DefaultsToOne1080pOutput) {
    std::string error;
    const auto o = parse({}, error);
    ASSERT_TRUE(o);
    ASSERT_EQ(o->outputs.size(), 1u);
    EXPECT_EQ(o->outputs[0].width, 1920);
    EXPECT_EQ(o->outputs[0].height, 1080);
    EXPECT_EQ(o->outputs[0].refresh_mhz, 60000);
    EXPECT_TRUE(o->device.empty());
    EXPECT_EQ(o->max_fps, 0u);
    EXPECT_FALSE(o->render_wlroots);
    EXPECT_EQ(o->renderer, RendererChoice::automatic);
}

TEST(Options, Renderer) {
    std::string error;
    for (RendererChoice choice :
         {RendererChoice::automatic, RendererChoice::pixman, RendererChoice::gl}) {
        const auto o = parse({"--renderer", renderer_name(choice)}, error);
        ASSERT_TRUE(o) << error;
        EXPECT_EQ(o->renderer, choice);
    }
    EXPECT_FALSE(parse({"--renderer", "gles2"}, error));
    EXPECT_NE(error.find("--renderer gles2: expected auto, pixman or gl"), std::string::npos)
        << error;
    EXPECT_FALSE(parse({"--renderer"}, error));
    EXPECT_NE(error.find("--renderer needs a value"), std::string::npos) << error;
    const auto o = parse({"--renderer", "gl", "--drm-node", "/dev/dri/card1"}, error);
    ASSERT_TRUE(o) << error;
    EXPECT_EQ(o->drm_node, "/dev/dri/card1");
    EXPECT_TRUE(parse({}, error)->drm_node.empty());
}

TEST(Options, RenderPath) {
    std::string error;
    auto o = parse({"--render", "wlroots"}, error);
    ASSERT_TRUE(o) << error;
    EXPECT_TRUE(o->render_wlroots);
    o = parse({"--render", "culled"}, error);
    ASSERT_TRUE(o) << error;
    EXPECT_FALSE(o->render_wlroots);
    EXPECT_FALSE(parse({"--render", "gles2"}, error));
    EXPECT_NE(error.find("--render gles2"), std::string::npos) << error;
    EXPECT_FALSE(parse({"--render"}, error));
}

TEST(Options, FullCommandLine) {
    std::string error;
    const auto o = parse({"--device", "/tmp/g.sock", "--output", "640x480", "--output",
                          "800x600@59.94", "--xwayland", "--max-fps", "30", "--", "foot",
                          "-e", "true"},
                         error);
    ASSERT_TRUE(o) << error;
    EXPECT_EQ(o->device, "/tmp/g.sock");
    ASSERT_EQ(o->outputs.size(), 2u);
    EXPECT_EQ(o->outputs[1].width, 800);
    EXPECT_EQ(o->outputs[1].refresh_mhz, 59940);
    EXPECT_TRUE(o->xwayland);
    EXPECT_EQ(o->max_fps, 30u);
    EXPECT_EQ(o->command_argv, (std::vector<std::string>{"foot", "-e", "true"}));
}

TEST(Options, Rejects) {
    std::string error;
    EXPECT_FALSE(parse({"--output", "640"}, error));
    EXPECT_FALSE(parse({"--output", "0x480"}, error));
    EXPECT_FALSE(parse({"--output", "640x480@"}, error));
    EXPECT_FALSE(parse({"--max-fps", "0"}, error));
    EXPECT_FALSE(parse({"--device"}, error));
    EXPECT_FALSE(parse({"-s", "foot", "--", "foot"}, error));
    EXPECT_FALSE(parse({"--bogus"}, error));
    EXPECT_FALSE(parse({"--"}, error));
}

TEST(Options, ShellCommand) {
    std::string error;
    const auto o = parse({"-s", "foot & weston-simple-shm"}, error);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->shell_command, "foot & weston-simple-shm");
}

TEST(Options, DefaultDevicePath) {
    EXPECT_EQ(default_device_path(true, "/run/user/1", 1), "/dev/virtio-vdmabuf");
    EXPECT_EQ(default_device_path(false, "/run/user/1", 1), "/run/user/1/vdmabuf/guest.sock");
    EXPECT_EQ(default_device_path(false, nullptr, 1000), "/tmp/vdmabuf-1000/guest.sock");
    EXPECT_EQ(default_device_path(false, "", 0), "/tmp/vdmabuf-0/guest.sock");
}
