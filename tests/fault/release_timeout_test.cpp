// A consumer that never releases: the release timeout frees the guest, and
// `vdmabufctl stats` counts it. The consumer reads every PRESENT (so this is
// not the stalled-socket case) but never answers; the guest keeps presenting
// its two buffers and must get each back, with reason TIMEOUT, once the
// timeout has passed and not before.
#include "fault_fixture.hpp"

#include "actors.hpp"
#include "daemon_process.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <cstdio>

namespace vdmabuf::fault {
namespace {

constexpr int kTimeoutMs = 300;
constexpr int kPresents = 6;

TEST(ReleaseTimeout, NeverReleasingConsumerCannotHoldTheGuest) {
    auto daemon = harness::DaemonProcess::start({"--release-timeout", std::to_string(kTimeoutMs)});
    ASSERT_TRUE(daemon);
    auto hoarder = harness::ViewerActor::connect(daemon->consumer_socket());
    ASSERT_TRUE(hoarder);
    hoarder->auto_release = false;
    frontend::DeviceOptions dopts;
    dopts.name = "fault-guest";
    dopts.memory_size = 8 << 20;
    auto guest = harness::GuestActor::open(daemon->guest_socket(), dopts);
    ASSERT_TRUE(guest);
    harness::ExportedBuffer bufs[2] = {harness::export_pattern(*guest, 256, 256, 1),
                                       harness::export_pattern(*guest, 256, 256, 2)};
    ASSERT_TRUE(bufs[0].memory && bufs[1].memory);

    double min_ms = 1e9, max_ms = 0;
    for (int i = 0; i < kPresents; ++i) {
        const auto& b = bufs[i % 2];
        const size_t before = guest->releases.size();
        const uint64_t sent = now_ns();
        ASSERT_TRUE(guest->device->present(b.id, 0, uint64_t(i + 1), sent, {}));
        ASSERT_TRUE(harness::pump_until([&] { return guest->releases.size() > before; }, 5000,
                                        {guest.get()}, {hoarder.get()}))
            << "present " << i << " was never released: the guest would hang";
        const double ms = ms_since(sent);
        const auto& r = guest->releases.back();
        EXPECT_TRUE(consumer::same_id(r.id, b.id));
        EXPECT_EQ(r.sequence, uint64_t(i + 1));
        EXPECT_EQ(r.reason, uint32_t(VDMABUF_RELEASE_TIMEOUT));
        EXPECT_GE(ms, kTimeoutMs - 5.0) << "released before the timeout";
        EXPECT_LT(ms, kTimeoutMs + 1000.0);
        min_ms = std::min(min_ms, ms);
        max_ms = std::max(max_ms, ms);
    }
    EXPECT_EQ(hoarder->presents.size(), size_t(kPresents)) << "the consumer saw every frame";
    EXPECT_FALSE(hoarder->disconnected) << "a slow consumer is not thrown out";

    auto text = run_vdmabufctl(daemon->consumer_socket(), {"stats"});
    ASSERT_TRUE(text) << "vdmabufctl stats failed";
    auto timeouts = text_counter(*text, "timeouts");
    auto released = text_counter(*text, "timeout");
    ASSERT_TRUE(timeouts && released) << *text;
    EXPECT_EQ(*timeouts, uint64_t(kPresents));
    EXPECT_EQ(*released, uint64_t(kPresents));
    std::printf("release timeout %d ms: %d presents released after %.0f..%.0f ms; vdmabufctl stats: "
                "timeouts %llu, releases timeout %llu\n",
                kTimeoutMs, kPresents, min_ms, max_ms, (unsigned long long)*timeouts,
                (unsigned long long)*released);
}

} // namespace
} // namespace vdmabuf::fault
