// Steady-state frames must not allocate: present -> deliver -> release, and
// coalescing for a stalled viewer, counted by the same operator new
// replacement vdmabufd uses (alloc_counter.cpp is linked into this test).
#include "hub_test_env.hpp"

#include "hub/alloc_counter.hpp"

namespace vdmabuf::backend::test {
namespace {

class Alloc : public HubTest {};

TEST_F(Alloc, CounterIsLinked) {
    uint64_t before = heap_allocations();
    auto* p = new int(3);
    asm volatile("" : : "g"(p) : "memory"); // keep the compiler from eliding the pair
    delete p;
    EXPECT_GT(heap_allocations(), before);
}

TEST_F(Alloc, SteadyStateFramesDoNotAllocate) {
    FakeGuest g(1, "guest0");
    hub_->guest_added(g);
    for (uint32_t i = 1; i <= 32; ++i)
        hub_->buffer_added(g, g.make_buffer(i));
    auto fast = viewer();
    auto stalled = viewer(VDMABUF_CONSUMER_ANY, "", 4096);

    uint64_t seq = 0;
    uint8_t buf[512];
    auto frame = [&] {
        // Reuse a buffer once nobody holds it, like a compositor's swapchain.
        ++seq;
        uint32_t counter = 1;
        while (counter < 32 && g.busy[counter])
            ++counter;
        g.busy[counter] = true;
        hub_->presented(g, g.presentation(counter, seq));
        pump();
        // The fast viewer reads and releases with stack buffers only.
        for (;;) {
            ssize_t n = ::recv(fast->raw(), buf, sizeof(buf), MSG_DONTWAIT);
            if (n <= 0)
                break;
            vdmabuf_c_present m;
            std::memcpy(&m, buf, sizeof(m));
            if (m.hdr.type != VDMABUF_C_PRESENT)
                continue;
            vdmabuf_c_release r{};
            r.hdr = {VDMABUF_C_RELEASE, sizeof(r), 0};
            r.id = m.id;
            r.sequence = m.sequence;
            ::send(fast->raw(), &r, sizeof(r), 0);
        }
        pump();
    };
    (void)stalled;
    // Warm up: pools, queues and hash tables reach their steady size. The
    // stalled viewer keeps holding what it was sent, so frames eventually
    // only reach it by coalescing, which is the path measured here too.
    for (int i = 0; i < 64; ++i)
        frame();
    g.releases.clear();
    uint64_t before = heap_allocations();
    for (int i = 0; i < 200; ++i)
        frame();
    uint64_t allocs = heap_allocations() - before;
    EXPECT_EQ(allocs, 0u);
    EXPECT_GT(g.releases.size(), 0u);
}

} // namespace
} // namespace vdmabuf::backend::test
