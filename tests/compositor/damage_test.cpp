// Damage: a client that changes only a 64x64 square produces PRESENTs whose
// damage covers the square and not the full frame, and nothing outside the
// damage changes from one PRESENT to the next.
#include <gtest/gtest.h>

#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

TEST(Damage, SquareClientDamagesOnlyTheSquare) {
    constexpr uint32_t kWantFrames = 30;
    CompositorOptions opts;
    opts.outputs = {"640x480"};
    opts.command = {pattern_client_path(),
                    "--mode",
                    "square",
                    "--size",
                    "256x256",
                    "--square",
                    "96,96",
                    "--fps",
                    "30"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    Viewer& viewer = f->viewer();

    std::optional<pattern::Found> where;
    std::vector<uint32_t> previous; // RGB copy of the last frame checked
    uint32_t previous_frame = 0;    // its client frame number
    uint32_t checked = 0, coalesced = 0;
    uint64_t frame_area = 0;
    std::vector<std::string> failures;
    consumer::PresentEvent last_damage{};

    auto check = [&](const consumer::PresentEvent& p) {
        const FrameView v = viewer.frame(p);
        if (!v.pixels) {
            failures.push_back("cannot map a presented buffer");
            return;
        }
        if (!where) {
            where = pattern::locate(v.pixels, v.width, v.height, v.stride);
            if (where) { // the first frame with the window: the reference
                previous = copy_rgb(v);
                frame_area = uint64_t(v.width) * v.height;
                if (auto stamp = pattern::read_stamp(v.pixels, v.stride, *where))
                    previous_frame = stamp->frame;
            }
            return;
        }
        const auto stamp = pattern::read_stamp(v.pixels, v.stride, *where);
        if (!stamp) {
            failures.push_back("the window moved or lost its stamp");
            return;
        }
        const std::string what = "PRESENT seq " + std::to_string(p.sequence) + " (client frame " +
                                 std::to_string(stamp->frame) + "): ";
        if (pattern::mismatches(v.pixels, v.stride, *where) != 0)
            failures.push_back(what + "the window's pixels are not the client's frame");
        if (p.n_damage == 0) {
            failures.push_back(what + "damage is the whole frame");
            return;
        }
        uint64_t area = 0;
        for (uint32_t i = 0; i < p.n_damage; ++i)
            area += uint64_t(p.damage[i].width) * p.damage[i].height;
        if (area * 8 > frame_area)
            failures.push_back(what + "damage covers " + std::to_string(area) + " of " +
                               std::to_string(frame_area) + " pixels");
        if (stamp->frame != previous_frame) {
            // The square changed: the damage must cover all of it.
            const pattern::Rect sq = where->layout.region();
            for (uint32_t y = 0; y < sq.height; ++y)
                for (uint32_t x = 0; x < sq.width; ++x)
                    if (!in_damage(p, where->x + sq.x + x, where->y + sq.y + y)) {
                        failures.push_back(what + "square pixel " + std::to_string(x) + "," +
                                           std::to_string(y) + " outside the damage");
                        y = sq.height;
                        break;
                    }
        }
        // Nothing outside the damage changed since the previous PRESENT
        // (checked only for uncoalesced ones: a coalesced PRESENT carries the
        // damage of the last frame only).
        const auto now = copy_rgb(v);
        if (p.flags & VDMABUF_C_PRESENT_COALESCED) {
            ++coalesced;
        } else {
            uint64_t outside = 0;
            for (uint32_t y = 0; y < v.height; ++y)
                for (uint32_t x = 0; x < v.width; ++x)
                    outside += now[size_t(y) * v.width + x] != previous[size_t(y) * v.width + x] &&
                               !in_damage(p, x, y);
            if (outside)
                failures.push_back(what + std::to_string(outside) +
                                   " pixels changed outside the damage");
            ++checked;
        }
        previous = now;
        previous_frame = stamp->frame;
        last_damage = p;
    };

    ASSERT_TRUE(f->pump_until(
        [&] {
            while (!viewer.held.empty()) {
                const consumer::PresentEvent p = viewer.held.front();
                check(p);
                viewer.release(p);
            }
            return checked >= kWantFrames;
        },
        30000))
        << "only " << checked << " uncoalesced PRESENTs checked (" << coalesced
        << " coalesced), window " << (where ? "found" : "never found");
    std::printf("checked %u PRESENTs (%u coalesced); window at %u,%u; last damage:", checked,
                coalesced, where ? where->x : 0, where ? where->y : 0);
    for (uint32_t i = 0; i < last_damage.n_damage; ++i)
        std::printf(" %ux%u+%u+%u", last_damage.damage[i].width, last_damage.damage[i].height,
                    last_damage.damage[i].x, last_damage.damage[i].y);
    std::printf("\n");
    EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: "
                                  << (failures.empty() ? "" : failures.front());
    EXPECT_TRUE(viewer.errors.empty());
}

} // namespace
} // namespace vdmabuf::compositor_test
