#include "weston_screen.hpp"

#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

namespace vdmabuf::viewer_test {

bool start_weston(Weston& weston) {
    if (!weston.start({"--backend=headless-backend.so", "--use-pixman", "--width", "800",
                       "--height", "600", "--debug"}))
        return false;
    setenv("XDG_RUNTIME_DIR", weston.dir().c_str(), 1);
    setenv("WAYLAND_DISPLAY", weston.socket().c_str(), 1);
    unsetenv("DISPLAY");
    return true;
}

// weston-screenshooter writes wayland-screenshot-<date>.png into its cwd.
std::optional<Image> screenshot(const std::string& dir) {
    std::string shots = dir + "/shots";
    mkdir(shots.c_str(), 0700);
    std::string cmd = "cd '" + shots + "' && rm -f *.png && " + kScreenshooter + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
        return std::nullopt;
    DIR* d = opendir(shots.c_str());
    std::optional<Image> img;
    while (dirent* e = d ? readdir(d) : nullptr)
        if (std::strstr(e->d_name, ".png"))
            img = read_png((shots + "/" + e->d_name).c_str());
    if (d)
        closedir(d);
    return img;
}

bool screen_shows(const Image& screen, const uint8_t* g, uint32_t stride, uint32_t w, uint32_t h) {
    auto px = [](const uint8_t* base, uint32_t row, uint32_t x, uint32_t y) {
        uint32_t v;
        std::memcpy(&v, base + size_t(y) * row + x * 4, 4);
        return v & 0xffffff;
    };
    const uint8_t* s = screen.pixels.data();
    for (uint32_t oy = 0; oy + h <= screen.height; ++oy)
        for (uint32_t ox = 0; ox + w <= screen.width; ++ox) {
            if (px(s, screen.stride, ox, oy) != px(g, stride, 0, 0))
                continue;
            bool all = true;
            for (uint32_t y = 0; y < h && all; ++y)
                for (uint32_t x = 0; x < w && all; ++x)
                    all = px(s, screen.stride, ox + x, oy + y) == px(g, stride, x, y);
            if (all)
                return true;
        }
    return false;
}

bool weston_shows(ViewerRun& run, Weston& weston, const uint8_t* frame, uint32_t stride, uint32_t w,
                  uint32_t h, const std::string& keep_as) {
    bool shown = false;
    std::optional<Image> last;
    harness::pump_until(
        [&] {
            last = screenshot(weston.dir());
            shown = last && screen_shows(*last, frame, stride, w, h);
            return shown;
        },
        10000, {run.guest.get()}, {});
    if (last && !shown)
        (void)write_png(keep_as.c_str(), *last);
    return shown;
}

} // namespace vdmabuf::viewer_test
