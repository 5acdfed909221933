// Frame pacing against the host.
//  - A slow consumer (each PRESENT held 150 ms) keeps every buffer busy: the
//    compositor waits for RELEASEs instead of attempting renders that cannot
//    get a buffer (each such attempt is a wlroots "No free output buffer slot"
//    line; the 4K benchmark used to log one per frame).
//  - A client commit is rendered at once, not at the output's next refresh
//    tick: at 1 Hz the tick is a second away, the PRESENT comes well before.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <string>
#include <unistd.h>

#include <vdmabuf/shared/time.hpp>

#include "fixture.hpp"
#include "pattern.hpp"

namespace vdmabuf::compositor_test {
namespace {

size_t count_lines_containing(const std::string& path, const std::string& needle) {
    std::ifstream in(path);
    std::string line;
    size_t n = 0;
    while (std::getline(in, line))
        n += line.find(needle) != std::string::npos;
    return n;
}

TEST(Pacing, SlowConsumerCausesNoRenderRetries) {
    const std::string log = "/tmp/vdmabuf-pacing-" + std::to_string(getpid()) + ".log";
    CompositorOptions opts;
    opts.stderr_file = log;
    opts.command = {pattern_client_path(), "--mode", "full", "--size", "320x240", "--fps", "60"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    Viewer& viewer = f->viewer();
    std::deque<uint64_t> arrived; // of viewer.held, in order
    viewer.on_present = [&](const consumer::PresentEvent&) { arrived.push_back(now_ns()); };

    // 3 s of a consumer that needs 150 ms per frame; the client wants 60 fps.
    const uint64_t start = now_ns();
    f->pump_until(
        [&] {
            while (!arrived.empty() && now_ns() - arrived.front() >= 150'000'000) {
                viewer.release_front();
                arrived.pop_front();
            }
            return now_ns() - start > 3'000'000'000ull;
        },
        10000);
    viewer.release_all();
    const uint64_t presents = viewer.presents;
    f.reset(); // stops the compositor: its log is complete
    const size_t retries = count_lines_containing(log, "No free output buffer slot");
    unlink(log.c_str());
    // The consumer paced the frames: ~4 held per 150 ms at most.
    EXPECT_GE(presents, 10u) << "frames stopped flowing";
    EXPECT_EQ(retries, 0u) << "renders attempted while the host held every buffer";
    std::printf("%llu PRESENTs in 3 s, %zu failed render attempts\n",
                static_cast<unsigned long long>(presents), retries);
}

TEST(Pacing, CommitIsRenderedBeforeTheNextRefreshTick) {
    CompositorOptions opts;
    opts.outputs = {"320x240@1"}; // the tick is a second apart
    opts.command = {pattern_client_path(), "--mode", "square", "--size", "320x240", "--fps", "0"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    Viewer& viewer = f->viewer();
    viewer.release_on_arrival = true;
    Percentiles latency_ms(64);
    std::optional<pattern::Found> where;
    viewer.on_present = [&](const consumer::PresentEvent& p) {
        const uint64_t now = now_ns();
        const FrameView v = viewer.frame(p);
        if (!v.pixels)
            return;
        if (!where)
            where = pattern::locate(v.pixels, v.width, v.height, v.stride, true);
        if (!where)
            return;
        if (auto stamp = pattern::read_stamp(v.pixels, v.stride, *where); stamp && stamp->frame > 1)
            latency_ms.add((now - stamp->time_ns) / 1'000'000);
    };
    // Client frames 2.. are committed right after a tick's frame callback.
    ASSERT_TRUE(f->pump_until([&] { return latency_ms.count() >= 3; }, 30000))
        << "only " << latency_ms.count() << " stamped frames arrived";
    EXPECT_LT(latency_ms.median(), 300u)
        << "commit -> PRESENT waited for the 1 Hz tick (median " << latency_ms.median() << " ms)";
    std::printf("commit -> PRESENT at a 1 Hz refresh: median %llu ms\n",
                static_cast<unsigned long long>(latency_ms.median()));
}

} // namespace
} // namespace vdmabuf::compositor_test
