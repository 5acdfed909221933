// The per-frame path (PRESENT in, RELEASE out) must not touch the heap once
// warmed up. This binary replaces the global operator new to count calls.
#include "fake_daemon.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
} // namespace

// noinline: once inlined, GCC pairs this malloc/free with new/delete
// expressions and warns (-Wmismatched-new-delete) although they match.
__attribute__((noinline)) void* operator new(size_t n) {
    if (g_counting.load(std::memory_order_relaxed))
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
    std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept {
    std::free(p);
}

namespace vdmabuf::consumer::test {
namespace {

TEST(ConsumerSteadyState, CounterSeesAllocations) {
    g_allocations = 0;
    g_counting = true;
    auto* v = new std::vector<int>(100);
    asm volatile("" : : "r"(v) : "memory"); // keep the allocation
    g_counting = false;
    delete v;
    EXPECT_EQ(g_allocations.load(), 2u); // the vector and its storage
}

TEST(ConsumerSteadyState, PresentAndReleaseDoNotAllocate) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    uint64_t presents = 0;
    Callbacks cb;
    cb.on_present = [&](const PresentEvent& p) {
        ++presents;
        EXPECT_TRUE(client->release(p.id, p.sequence));
    };
    client->set_callbacks(cb);

    const auto id = make_id(1);
    auto frame = [&](uint64_t seq) {
        ASSERT_TRUE(d.send(present(id, seq, static_cast<uint32_t>(seq % 17))));
        ASSERT_TRUE(client->wait(1000));
        g_counting = true;
        int n = client->dispatch();
        g_counting = false;
        ASSERT_EQ(n, 1);
        auto rel = d.recv();
        ASSERT_TRUE(rel);
        EXPECT_EQ(as<vdmabuf_c_release>(*rel).sequence, seq);
    };
    frame(1); // warm-up
    g_allocations = 0;
    for (uint64_t seq = 2; seq <= 200; ++seq)
        frame(seq);
    EXPECT_EQ(presents, 200u);
    EXPECT_EQ(g_allocations.load(), 0u);
}

} // namespace
} // namespace vdmabuf::consumer::test
