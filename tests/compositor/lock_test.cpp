// Lock invariant: while a consumer holds a presented buffer the compositor
// renders nothing into it. A consumer holds every PRESENT (vdmabufd's release
// timeout far away) while the client keeps animating; the held buffers'
// checksums never change and no held buffer is presented again. After the
// consumer releases, frames resume with newer client frames.
#include <gtest/gtest.h>

#include <map>

#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

struct HeldFrame {
    consumer::PresentEvent present;
    uint64_t checksum = 0;
};

TEST(Lock, HeldBuffersAreNotRenderedInto) {
    CompositorOptions opts;
    opts.daemon_args = {"--release-timeout", "600000"};
    // Every client frame changes every pixel of the window.
    opts.command = {pattern_client_path(), "--mode", "full", "--size", "240x180", "--fps", "60"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    Viewer& viewer = f->viewer();

    std::vector<HeldFrame> held; // what the consumer holds, with its checksum at PRESENT time
    std::vector<std::string> violations;
    uint32_t newest_frame = 0;
    bool window_seen = false;
    auto key = [](const consumer::PresentEvent& p) {
        return std::make_tuple(p.id.guest, p.id.counter);
    };
    viewer.on_present = [&](const consumer::PresentEvent& p) {
        for (const HeldFrame& h : held)
            if (consumer::same_id(h.present.id, p.id))
                violations.push_back("buffer " + std::to_string(p.id.counter) +
                                     " presented again (sequence " + std::to_string(p.sequence) +
                                     ") while the consumer held sequence " +
                                     std::to_string(h.present.sequence));
    };
    auto absorb = [&] {
        // Record every newly held frame and re-check the older ones.
        for (const consumer::PresentEvent& p : viewer.held) {
            bool known = false;
            for (const HeldFrame& h : held)
                known |= key(h.present) == key(p) && h.present.sequence == p.sequence;
            if (known)
                continue;
            const FrameView v = viewer.frame(p);
            if (!v.pixels) {
                violations.push_back("cannot map a presented buffer");
                continue;
            }
            held.push_back({p, checksum(v)});
            if (auto where = pattern::locate(v.pixels, v.width, v.height, v.stride)) {
                window_seen = true;
                if (auto stamp = pattern::read_stamp(v.pixels, v.stride, *where))
                    newest_frame = std::max(newest_frame, stamp->frame);
            }
        }
        for (const HeldFrame& h : held)
            if (checksum(viewer.frame(h.present)) != h.checksum)
                violations.push_back("held buffer " + std::to_string(h.present.id.counter) +
                                     " (sequence " + std::to_string(h.present.sequence) +
                                     ") changed while held");
    };

    // Hold everything until the compositor has no buffer left to render into:
    // no PRESENT for 1.5 s although the client commits 60 frames a second.
    const uint64_t start = now_ns();
    uint64_t last_check = 0;
    ASSERT_TRUE(f->pump_until(
        [&] {
            if (now_ns() - last_check > 50'000'000) {
                last_check = now_ns();
                absorb();
            }
            return window_seen && now_ns() - viewer.last_present_ns > 1'500'000'000;
        },
        30000))
        << "the compositor kept presenting (" << viewer.presents << " PRESENTs) or the window"
        << " never appeared (" << window_seen << ")";
    // Keep watching the held buffers a while longer as the client animates on.
    f->pump_until(
        [&] {
            absorb();
            return false;
        },
        1000);
    absorb();
    EXPECT_TRUE(violations.empty())
        << violations.size()
        << " violations, first: " << (violations.empty() ? "" : violations.front());
    EXPECT_GE(held.size(), 1u);
    EXPECT_EQ(viewer.held.size(), held.size());
    std::printf("held %zu buffers for %.1f s (%llu PRESENTs), newest client frame %u\n",
                held.size(), double(now_ns() - start) / 1e9,
                static_cast<unsigned long long>(viewer.presents), newest_frame);

    // Release: frames resume, showing newer client frames.
    const uint32_t frame_before = newest_frame;
    const uint64_t presents_before = viewer.presents;
    viewer.release_all();
    held.clear();
    uint32_t frame_after = 0;
    EXPECT_TRUE(f->pump_until(
        [&] {
            while (!viewer.held.empty()) {
                const FrameView v = viewer.frame(viewer.held.back());
                if (auto where = pattern::locate(v.pixels, v.width, v.height, v.stride))
                    if (auto stamp = pattern::read_stamp(v.pixels, v.stride, *where))
                        frame_after = std::max(frame_after, stamp->frame);
                viewer.release_all();
            }
            return viewer.presents >= presents_before + 3 && frame_after > frame_before;
        },
        10000))
        << "after the release: " << viewer.presents - presents_before
        << " PRESENTs, newest client frame " << frame_after << " (before: " << frame_before << ")";
    EXPECT_TRUE(viewer.errors.empty());
}

} // namespace
} // namespace vdmabuf::compositor_test
