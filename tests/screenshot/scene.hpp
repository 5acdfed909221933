// One screenshot scene: a real vdmabufd, vdmabuf-compositor (800x600, private
// XDG_RUNTIME_DIR 0700) running the scene's clients, and, once the scene is
// still, the real headless vdmabuf-viewer started to take the screenshot.
//
// The fixture's own consumer releases every PRESENT at once; it is used only
// to see when the scene has drawn and when it has gone still. The viewer is
// started after that: the compositor re-presents the still scene when a new
// viewer arrives, and `--frames 1` makes the viewer write that frame and exit.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <vdmabuf/shared/png.hpp>

#include "fixture.hpp"
#include "image_compare.hpp"

namespace vdmabuf::screenshot {

using compositor_test::CompositorFixture;
using compositor_test::CompositorOptions;
using compositor_test::FrameView;

class Scene {
public:
    // Starts the pipeline (outputs defaults to 800x600); nullptr + error on failure.
    [[nodiscard]] static std::unique_ptr<Scene> start(CompositorOptions opts, std::string& error);

    [[nodiscard]] CompositorFixture& fixture() { return *fixture_; }

    // Pumps until a PRESENTed frame satisfies `accept` (checked on every
    // frame as it arrives); false on timeout or compositor exit.
    bool wait_for_frame(const std::function<bool(const FrameView&)>& accept, int timeout_ms);
    // Pumps until no PRESENT came for quiet_ms; false if that never happened.
    bool wait_still(int quiet_ms, int timeout_ms);

    // Starts vdmabuf-viewer --presenter headless --frames 1 and returns its
    // screenshot; nullopt + error on failure.
    [[nodiscard]] std::optional<Image> viewer_screenshot(const std::string& name,
                                                         std::string& error);

private:
    Scene() = default;
    std::unique_ptr<CompositorFixture> fixture_;
};

// Pixels of the frame whose RGB differs from the empty desktop's colour
// (taken at the bottom-right pixel, which no scene here covers).
[[nodiscard]] uint64_t content_pixels(const FrameView& v);

// $VDMABUF_VIEWER or the viewer this build made.
[[nodiscard]] std::string viewer_path();
// tests/reference/<name>.png in the source tree.
[[nodiscard]] std::string reference_path(const std::string& name);
// Where failure images go unless $VDMABUF_SCREENSHOT_OUT says otherwise.
[[nodiscard]] std::string build_out_dir();

} // namespace vdmabuf::screenshot
