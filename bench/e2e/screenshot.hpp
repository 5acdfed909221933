// vdmabuf-bench-e2e's screenshot figures: the headless viewer's screenshot
// against grim, side by side in one run, on the same compositor.
#pragma once

#include "fixture.hpp"

#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/time.hpp>

#include <string>
#include <vector>

namespace vdmabuf::bench_e2e {

struct ShotTimes {
    std::string name; // "viewer level 1 sub", "grim (default: level 6)", ...
    Percentiles ns{64};
    long bytes = -1;  // the PNG's size
};

// grim against the fixture's compositor once, PNG level `level` ("" for grim's
// default); ns from fork to exit, 0 on failure (*note says why). The
// consumer is pumped meanwhile so the compositor never waits for a release.
[[nodiscard]] uint64_t grim_once(compositor_test::CompositorFixture& f, const std::string& level,
                                 const std::string& out, std::string& note);
// The viewer's screenshot once: write_png of its in-memory frame; ns, 0 on failure.
[[nodiscard]] uint64_t shot_once(const Image& frame, const PngOptions& png, const std::string& out);
[[nodiscard]] long file_size(const std::string& path);

// A still 1920x1080 desktop (gtk3-demo, foot with text, the pattern client)
// in the guest compositor, its frames kept by the viewer's CpuFrame; then
// `captures` rounds, each: the viewer's screenshot with every PNG option, grim
// at its default and grim -l 1.
struct DesktopShots {
    std::string error, scene;
    std::vector<ShotTimes> rows; // the viewer's options first, then grim's
};
[[nodiscard]] DesktopShots run_desktop_shots(int captures);
void print_desktop_shots(const DesktopShots& d);
void print_desktop_shots_json(const DesktopShots& d);

} // namespace vdmabuf::bench_e2e
