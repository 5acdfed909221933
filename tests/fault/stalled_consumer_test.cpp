// A consumer that stops reading its socket: vdmabufd does not block on it.
// Guest A presents as fast as it gets buffers back for 4 s; a stalled
// consumer watching A never reads; an honest viewer watches everything. Guest
// B, which the stalled consumer does not watch, presents at 60 fps. Then:
//   - B's frames reach the honest viewer and come back promptly (p99 < 100 ms);
//   - A is never hung: every present comes back within the release timeout
//     plus a margin. The PRESENTs that went into the stalled socket before it
//     filled are held until the release timeout (they were sent: the consumer
//     may still read them); once the socket's queue is full, vdmabufd keeps
//     one PRESENT queued per output and coalesces newer ones into it, so A
//     runs at full speed again (checked over the last second);
//   - vdmabufd answers a control request within 250 ms throughout;
//   - stats show coalesced PRESENTs and a bounded queue for the stalled one.
#include "fault_fixture.hpp"

#include "actors.hpp"
#include "daemon_process.hpp"

#include <vdmabuf/shared/time.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>

namespace vdmabuf::fault {
namespace {

constexpr int kTimeoutMs = 300;
constexpr int kRunMs = 4000;

struct Presenter {
    std::unique_ptr<harness::GuestActor> guest;
    std::vector<harness::ExportedBuffer> bufs;
    std::map<size_t, uint64_t> sent_ns; // buffer index in flight -> when presented
    std::vector<double> latencies_ms;
    uint64_t sequence = 0;
    size_t seen = 0;

    void absorb() {
        for (; seen < guest->releases.size(); ++seen)
            for (size_t i = 0; i < bufs.size(); ++i)
                if (consumer::same_id(bufs[i].id, guest->releases[seen].id) && sent_ns.count(i)) {
                    latencies_ms.push_back(ms_since(sent_ns[i]));
                    sent_ns.erase(i);
                }
    }
    // Presents every free buffer (at most `max` of them); the number presented.
    int present_free(int max) {
        int n = 0;
        for (size_t i = 0; i < bufs.size() && n < max; ++i)
            if (!sent_ns.count(i) && guest->device->present(bufs[i].id, 0, ++sequence, now_ns(), {})) {
                sent_ns[i] = now_ns();
                ++n;
            }
        return n;
    }
    double percentile(double p) {
        if (latencies_ms.empty())
            return 0;
        std::sort(latencies_ms.begin(), latencies_ms.end());
        return latencies_ms[std::min(latencies_ms.size() - 1, size_t(p / 100 * double(latencies_ms.size())))];
    }
};

std::unique_ptr<Presenter> make_presenter(const std::string& socket, const char* name, uint32_t seed) {
    auto p = std::make_unique<Presenter>();
    frontend::DeviceOptions o;
    o.name = name;
    o.memory_size = 16 << 20;
    p->guest = harness::GuestActor::open(socket, o);
    if (!p->guest)
        return nullptr;
    for (uint32_t i = 0; i < 4; ++i) {
        p->bufs.push_back(harness::export_pattern(*p->guest, 128, 128, seed + i));
        if (!p->bufs.back().memory)
            return nullptr;
    }
    return p;
}

TEST(StalledConsumer, DoesNotBlockOtherConsumersOrGuests) {
    auto daemon = harness::DaemonProcess::start({"--release-timeout", std::to_string(kTimeoutMs)});
    ASSERT_TRUE(daemon);
    auto a = make_presenter(daemon->guest_socket(), "guest-a", 10);
    auto b = make_presenter(daemon->guest_socket(), "guest-b", 20);
    ASSERT_TRUE(a && b);
    // Connected, then never read again.
    auto stalled = consumer::Client::connect(daemon->consumer_socket(), VDMABUF_ROLE_VIEWER, "guest-a");
    ASSERT_TRUE(stalled);
    auto honest = harness::ViewerActor::connect(daemon->consumer_socket());
    ASSERT_TRUE(honest);
    honest->auto_release = true;
    auto control = Control::connect(daemon->consumer_socket());
    ASSERT_TRUE(control);

    const uint64_t start = now_ns();
    uint64_t next_b = start;
    double slowest_control_ms = 0;
    size_t max_queued = 0;
    uint64_t next_control = start;
    int a_presents = 0, b_presents = 0, a_last_second = 0;
    while (ms_since(start) < kRunMs) {
        const int n = a->present_free(4);
        a_presents += n;
        if (ms_since(start) >= kRunMs - 1000)
            a_last_second += n;
        if (now_ns() >= next_b) {
            b_presents += b->present_free(1);
            next_b += 16'666'667;
        }
        (void)harness::pump_until([] { return false; }, 2, {a->guest.get(), b->guest.get()}, {honest.get()});
        a->absorb();
        b->absorb();
        if (now_ns() >= next_control) {
            const uint64_t asked = now_ns();
            auto s = control->state();
            ASSERT_TRUE(s) << "vdmabufd did not answer a control request";
            slowest_control_ms = std::max(slowest_control_ms, ms_since(asked));
            max_queued = std::max(max_queued, s->max_queued);
            next_control = now_ns() + 100'000'000;
        }
    }
    // Whatever is still out comes back within the timeout (plus the sweep).
    ASSERT_TRUE(harness::pump_until(
        [&] {
            a->absorb();
            b->absorb();
            return a->sent_ns.empty() && b->sent_ns.empty();
        },
        kTimeoutMs + 2000, {a->guest.get(), b->guest.get()}, {honest.get()}))
        << "a guest was left waiting: " << a->sent_ns.size() << " + " << b->sent_ns.size();
    auto s = control->state();
    ASSERT_TRUE(s);
    auto text = run_vdmabufctl(daemon->consumer_socket(), {"stats"});
    ASSERT_TRUE(text);
    auto coalesced = text_counter(*text, "coalesced");
    ASSERT_TRUE(coalesced);

    const double b_p99 = b->percentile(99), a_max = a->percentile(100), a_p50 = a->percentile(50);
    std::printf("stalled consumer: guest A %d presents (%d in the last second; release p50 %.1f ms, "
                "max %.0f ms), guest B %d presents (p99 %.1f ms), honest viewer %zu frames; slowest "
                "control answer %.1f ms; stalled queue max %zu; coalesced %llu, timeouts %llu\n",
                a_presents, a_last_second, a_p50, a_max, b_presents, b_p99, honest->presents.size(),
                slowest_control_ms, max_queued, (unsigned long long)*coalesced,
                (unsigned long long)s->timeouts);
    EXPECT_GT(b_presents, kRunMs / 17 / 2) << "guest B was slowed down";
    EXPECT_LT(b_p99, 100.0) << "guest B waited on the stalled consumer";
    EXPECT_LT(a_max, kTimeoutMs + 1000.0) << "guest A waited past the release timeout";
    EXPECT_GT(a_last_second, 100) << "guest A stayed throttled: PRESENTs not coalesced";
    EXPECT_LT(slowest_control_ms, 250.0);
    EXPECT_GT(*coalesced, 0u) << "no PRESENT was coalesced for the stalled consumer";
    EXPECT_LE(max_queued, 8u) << "the stalled consumer's queue grew";
    EXPECT_FALSE(honest->disconnected);
    EXPECT_GE(honest->presents.size(), size_t(b_presents)) << "the honest viewer missed frames";
}

} // namespace
} // namespace vdmabuf::fault
