// PageAllocator bookkeeping, and BufferPool/PageAllocation over a real memfd.
#include "buffer_pool.hpp"
#include "memory_layout.hpp"
#include "page_allocation.hpp"
#include "page_allocator.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

namespace vdmabuf::frontend {
namespace {

uint64_t total(const std::vector<PageRun>& runs) {
    uint64_t n = 0;
    for (const PageRun& r : runs)
        n += r.count;
    return n;
}

TEST(PageAllocator, ContiguousFirstFit) {
    PageAllocator a(100, 10);
    PageRun r1, r2;
    ASSERT_TRUE(a.allocate_contiguous(3, r1));
    EXPECT_EQ(r1.first, 100u);
    EXPECT_EQ(r1.count, 3u);
    ASSERT_TRUE(a.allocate_contiguous(4, r2));
    EXPECT_EQ(r2.first, 103u);
    EXPECT_EQ(a.free_pages(), 3u);
}

TEST(PageAllocator, ExhaustionAndReuse) {
    PageAllocator a(0, 8);
    PageRun r1, r2, r3;
    ASSERT_TRUE(a.allocate_contiguous(4, r1));
    ASSERT_TRUE(a.allocate_contiguous(4, r2));
    EXPECT_FALSE(a.allocate_contiguous(1, r3));
    EXPECT_FALSE(a.allocate_contiguous(0, r3));
    ASSERT_TRUE(a.free(r1));
    EXPECT_FALSE(a.allocate_contiguous(5, r3)); // only 4 free
    ASSERT_TRUE(a.allocate_contiguous(2, r3));
    EXPECT_EQ(r3.first, 0u); // first fit reuses the freed hole
}

TEST(PageAllocator, FreeMergesNeighbours) {
    PageAllocator a(0, 9);
    PageRun r[3];
    for (auto& x : r)
        ASSERT_TRUE(a.allocate_contiguous(3, x));
    ASSERT_TRUE(a.free(r[0]));
    ASSERT_TRUE(a.free(r[2]));
    EXPECT_EQ(a.free_run_count(), 2u);
    ASSERT_TRUE(a.free(r[1]));
    EXPECT_EQ(a.free_run_count(), 1u);
    PageRun all;
    ASSERT_TRUE(a.allocate_contiguous(9, all));
}

TEST(PageAllocator, RefusesDoubleAndOutOfRangeFree) {
    PageAllocator a(10, 10);
    PageRun r;
    ASSERT_TRUE(a.allocate_contiguous(2, r));
    ASSERT_TRUE(a.free(r));
    EXPECT_FALSE(a.free(r));
    EXPECT_FALSE(a.free({5, 2}));
    EXPECT_FALSE(a.free({19, 2}));
    EXPECT_FALSE(a.free({10, 0}));
    EXPECT_EQ(a.free_pages(), 10u);
}

TEST(PageAllocator, ScatteredRunsHaveGaps) {
    PageAllocator a(0, 1000);
    std::vector<PageRun> runs;
    ASSERT_TRUE(a.allocate_scattered(30, VDMABUF_MAX_EXTENTS, runs));
    EXPECT_EQ(total(runs), 30u);
    EXPECT_GT(runs.size(), 10u);
    for (size_t i = 0; i < runs.size(); ++i) {
        EXPECT_GE(runs[i].count, 1u);
        EXPECT_LE(runs[i].count, 2u);
        if (i) {
            EXPECT_GE(runs[i].first, runs[i - 1].first + runs[i - 1].count + 1) << i;
        }
    }
    EXPECT_EQ(a.free_pages(), 970u);
}

TEST(PageAllocator, ScatteredStaysUnderTheExtentLimit) {
    PageAllocator a(0, 40000);
    std::vector<PageRun> runs;
    // 8100 pages (a 3840x2160 XRGB buffer) in 1-2 page runs would need ~5400 extents.
    ASSERT_TRUE(a.allocate_scattered(8100, VDMABUF_MAX_EXTENTS, runs));
    EXPECT_EQ(total(runs), 8100u);
    EXPECT_LE(runs.size(), VDMABUF_MAX_EXTENTS);
    EXPECT_GT(runs.size(), 1000u);
    // A tiny limit forces long runs.
    std::vector<PageRun> few;
    ASSERT_TRUE(a.allocate_scattered(100, 3, few));
    EXPECT_LE(few.size(), 3u);
    EXPECT_EQ(total(few), 100u);
}

TEST(PageAllocator, ScatteredFailsCleanly) {
    PageAllocator a(0, 10);
    std::vector<PageRun> runs;
    // 10 free pages cannot hold 8 pages with a gap after every run.
    EXPECT_FALSE(a.allocate_scattered(8, VDMABUF_MAX_EXTENTS, runs));
    EXPECT_EQ(a.free_pages(), 10u);
    EXPECT_FALSE(a.allocate_scattered(11, VDMABUF_MAX_EXTENTS, runs));
    ASSERT_TRUE(a.allocate_scattered(6, VDMABUF_MAX_EXTENTS, runs));
    for (const PageRun& r : runs)
        ASSERT_TRUE(a.free(r));
    EXPECT_EQ(a.free_pages(), 10u);
    EXPECT_EQ(a.free_run_count(), 1u);
}

class Pool : public ::testing::TestWithParam<bool> {
protected:
    static constexpr uint64_t kSize = 4 << 20;
    static constexpr uint64_t kPoolOffset = 64 * kPageSize;
    void SetUp() override {
        pool_ = BufferPool::create(GuestMemoryFile::create(kSize, kGuestBase), kPoolOffset,
                                   (kSize - kPoolOffset) / kPageSize, GetParam());
        ASSERT_TRUE(pool_);
    }
    std::shared_ptr<BufferPool> pool_;
};

TEST_P(Pool, ExtentsCoverTheBufferAndStayInThePool) {
    auto a = pool_->allocate(100 * 1000); // rounds up to 25 pages
    ASSERT_TRUE(a);
    EXPECT_EQ(a->size(), 25 * kPageSize);
    uint64_t sum = 0;
    for (const vdmabuf_extent& e : a->extents()) {
        EXPECT_EQ(e.addr % kPageSize, 0u);
        EXPECT_EQ(e.len % kPageSize, 0u);
        EXPECT_GE(e.addr, kGuestBase + kPoolOffset); // never the rings or slots
        EXPECT_LE(e.addr + e.len, kGuestBase + kSize);
        sum += e.len;
    }
    EXPECT_EQ(sum, a->size());
    if (GetParam()) {
        EXPECT_GT(a->extents().size(), 1u);
    } else {
        EXPECT_EQ(a->extents().size(), 1u);
    }
}

TEST_P(Pool, DataIsTheExtentsInOrder) {
    auto a = pool_->allocate(40 * kPageSize);
    ASSERT_TRUE(a);
    for (uint64_t i = 0; i < a->size(); ++i)
        a->data()[i] = static_cast<uint8_t>(i * 7 + i / kPageSize);
    // Read back through guest-physical addresses, as the host does.
    const GuestMemoryFile& mem = pool_->memory();
    uint64_t at = 0;
    for (const vdmabuf_extent& e : a->extents()) {
        const uint8_t* p = mem.ptr(e.addr - kGuestBase);
        for (uint64_t j = 0; j < e.len; ++j, ++at)
            ASSERT_EQ(p[j], static_cast<uint8_t>(at * 7 + at / kPageSize)) << at;
    }
}

TEST_P(Pool, ExhaustionAndReturnOnDestroy) {
    const uint64_t pages = pool_->pages().free_pages();
    auto a = pool_->allocate(kSize); // larger than the pool
    EXPECT_FALSE(a);
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_FALSE(pool_->allocate(0));
    {
        auto b = pool_->allocate(8 * kPageSize);
        ASSERT_TRUE(b);
        EXPECT_LT(pool_->pages().free_pages(), pages);
    }
    EXPECT_EQ(pool_->pages().free_pages(), pages);
}

TEST_P(Pool, ExportedPagesAreLeakedNotReused) {
    const uint64_t pages = pool_->pages().free_pages();
    {
        auto a = pool_->allocate(4 * kPageSize);
        ASSERT_TRUE(a);
        auto* p = dynamic_cast<PageAllocation*>(a.get());
        ASSERT_TRUE(p);
        ++*p->export_count();
    }
    EXPECT_EQ(pool_->pages().free_pages(), pages - 4);
}

TEST_P(Pool, AllocationOutlivesThePoolOwner) {
    auto a = pool_->allocate(3 * kPageSize);
    ASSERT_TRUE(a);
    pool_.reset(); // the Device going away first
    std::memset(a->data(), 0xab, a->size());
    a.reset();
}

INSTANTIATE_TEST_SUITE_P(Modes, Pool, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                             return p.param ? "scattered" : "contiguous";
                         });

TEST(MemoryLayout, PartsDoNotOverlap) {
    auto l = MemoryLayout::compute(256 << 20, 256);
    ASSERT_TRUE(l);
    EXPECT_LT(l->ctrlq_offset, l->small_slots_offset);
    EXPECT_LE(l->small_slots_offset + uint64_t{kSmallSlotSize} * l->small_slots,
              l->large_slots_offset);
    EXPECT_LE(l->large_slots_offset + uint64_t{kLargeSlotSize} * l->large_slots,
              l->event_buffers_offset);
    EXPECT_LE(l->event_buffers_offset + uint64_t{kEventBufferSize} * l->event_buffers,
              l->pool_offset);
    EXPECT_EQ(l->pool_offset % kPageSize, 0u);
    EXPECT_EQ(l->pool_offset + l->pool_pages * kPageSize, uint64_t{256} << 20);
    EXPECT_GE(kLargeSlotSize - kSlotResponseSize, VDMABUF_MAX_REQUEST_SIZE);
    EXPECT_GE(kSmallSlotSize - kSlotResponseSize, sizeof(vdmabuf_cmd_present));
    EXPECT_FALSE(MemoryLayout::compute(256 << 20, 100));  // not a power of two
    EXPECT_FALSE(MemoryLayout::compute(64 << 10, 256));   // too small
    EXPECT_FALSE(MemoryLayout::compute((1 << 20) + 1, 8)); // not page multiple
}

} // namespace
} // namespace vdmabuf::frontend
