#include "scene.hpp"

#include <cstdlib>
#include <sys/wait.h>

#include <vdmabuf/shared/child_process.hpp>
#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::screenshot {

std::string viewer_path() {
    const char* env = std::getenv("VDMABUF_VIEWER");
    return env && *env ? env : VDMABUF_VIEWER_PATH;
}

std::string reference_path(const std::string& name) {
    return std::string(VDMABUF_REFERENCE_DIR) + "/" + name + ".png";
}

std::string build_out_dir() { return VDMABUF_SCREENSHOT_BUILD_DIR; }

uint64_t content_pixels(const FrameView& v) {
    if (!v.pixels || v.width == 0 || v.height == 0)
        return 0;
    const uint32_t bg = v.rgb(v.width - 1, v.height - 1);
    uint64_t n = 0;
    for (uint32_t y = 0; y < v.height; ++y)
        for (uint32_t x = 0; x < v.width; ++x)
            n += v.rgb(x, y) != bg;
    return n;
}

std::unique_ptr<Scene> Scene::start(CompositorOptions opts, std::string& error) {
    if (opts.outputs == std::vector<std::string>{"640x480"})
        opts.outputs = {"800x600"};
    auto s = std::unique_ptr<Scene>(new Scene);
    s->fixture_ = CompositorFixture::start(opts, error);
    if (!s->fixture_)
        return nullptr;
    s->fixture_->viewer().release_all();
    s->fixture_->viewer().release_on_arrival = true;
    return s;
}

bool Scene::wait_for_frame(const std::function<bool(const FrameView&)>& accept, int timeout_ms) {
    auto& viewer = fixture_->viewer();
    bool found = false;
    viewer.on_present = [&](const consumer::PresentEvent& p) {
        if (!found) {
            const FrameView v = viewer.frame(p);
            found = v.pixels && accept(v);
        }
    };
    fixture_->pump_until([&] { return found; }, timeout_ms);
    viewer.on_present = nullptr;
    return found;
}

bool Scene::wait_still(int quiet_ms, int timeout_ms) {
    auto& viewer = fixture_->viewer();
    const uint64_t quiet_ns = uint64_t(quiet_ms) * 1'000'000;
    return fixture_->pump_until([&] { return now_ns() - viewer.last_present_ns > quiet_ns; },
                                timeout_ms);
}

std::optional<Image> Scene::viewer_screenshot(const std::string& name, std::string& error) {
    const std::string png = fixture_->runtime_dir() + "/" + name + ".viewer.png";
    ChildProcess viewer = ChildProcess::spawn(
        {viewer_path(), "--connect", fixture_->daemon().consumer_socket(), "--presenter",
         "headless", "--no-reconnect", "--frames", "1", "--screenshot", png});
    if (!viewer) {
        error = "could not start " + viewer_path();
        return std::nullopt;
    }
    if (!viewer.wait_for_line("vdmabuf-viewer: ready", 10000)) {
        error = "vdmabuf-viewer never printed ready";
        return std::nullopt;
    }
    int status = -1;
    if (!fixture_->pump_until([&] { return viewer.exited(&status); }, 20000)) {
        error = "vdmabuf-viewer did not exit after its frame";
        return std::nullopt;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        error = "vdmabuf-viewer wait status " + std::to_string(status);
        return std::nullopt;
    }
    auto img = read_png(png.c_str());
    if (!img)
        error = "vdmabuf-viewer wrote no readable " + png;
    return img;
}

} // namespace vdmabuf::screenshot
