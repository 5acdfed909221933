#include "virtio_test_env.hpp"

#include <limits>

namespace vdmabuf::virtio {
namespace {

using test::make_memfd;
using vhost_user::MemoryRegion;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kMiB = 1 << 20;

class GuestMemoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        fd_ = make_memfd(2 * kMiB);
        ASSERT_TRUE(fd_);
        view_ = MemoryMapping::map_shared(fd_.get(), 2 * kMiB);
        ASSERT_TRUE(view_);
    }
    UniqueFd dup() { return fd_.dup_cloexec(); }

    UniqueFd fd_;
    MemoryMapping view_; // what the front-end sees
    GuestMemory mem_;
};

TEST_F(GuestMemoryTest, TranslatesGpaUvaAndFileOffsets) {
    // Region 0: file [0, 1 MiB) at gpa 0x1000_0000; region 1: file [1 MiB, 1.5 MiB)
    // at gpa 0x8000_0000 (mmap_offset exercises the offset path).
    ASSERT_TRUE(mem_.add_region({0x10000000, kMiB, 0x7f0000000000, 0}, dup()));
    ASSERT_TRUE(mem_.add_region({0x80000000, kMiB / 2, 0x7f1000000000, kMiB}, dup()));
    EXPECT_EQ(mem_.region_count(), 2);
    EXPECT_EQ(mem_.total_size(), kMiB + kMiB / 2);
    EXPECT_GE(mem_.region_fd(1), 0);
    EXPECT_EQ(mem_.region_fd(2), -1);
    EXPECT_EQ(mem_.region_desc(1).mmap_offset, kMiB);

    std::memcpy(view_.data() + 0x1234, "hello", 5);
    std::memcpy(view_.data() + kMiB + 0x10, "world", 5);
    uint8_t* p = mem_.gpa_to_ptr(0x10001234, 5);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(std::memcmp(p, "hello", 5), 0);
    uint8_t* q = mem_.gpa_to_ptr(0x80000010, 5);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(std::memcmp(q, "world", 5), 0);
    EXPECT_EQ(mem_.uva_to_ptr(0x7f1000000010, 5), q);
    EXPECT_EQ(mem_.uva_to_ptr(0x7f0000001234, 0), p);

    auto f = mem_.gpa_to_file(0x80000010, 5);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->region, 1);
    EXPECT_EQ(f->fd, mem_.region_fd(1));
    EXPECT_EQ(f->offset, kMiB + 0x10);
    EXPECT_FALSE(mem_.gpa_to_file(0x80000010, kMiB).has_value());
}

TEST_F(GuestMemoryTest, BoundsAndOverflow) {
    ASSERT_TRUE(mem_.add_region({0x10000000, kMiB, 0x1000, 0}, dup()));
    const uint64_t end = 0x10000000 + kMiB;
    EXPECT_NE(mem_.gpa_to_ptr(end - 1, 1), nullptr);
    EXPECT_NE(mem_.gpa_to_ptr(0x10000000, kMiB), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(end - 1, 2), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(end, 0), nullptr); // len 0 still needs gpa inside
    EXPECT_EQ(mem_.gpa_to_ptr(0x0fffffff, 1), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(0x10000000, kMax), nullptr); // len overflow
    EXPECT_EQ(mem_.gpa_to_ptr(0x10000010, kMax - 8), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(kMax, 1), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(kMax, 0), nullptr);
    EXPECT_EQ(mem_.uva_to_ptr(0x1000 + kMiB, 0), nullptr);
    EXPECT_EQ(mem_.uva_to_ptr(0x1000, kMiB + 1), nullptr);
    EXPECT_EQ(mem_.uva_to_ptr(0xfff, 2), nullptr);
}

TEST_F(GuestMemoryTest, RegionNearTopOfAddressSpace) {
    const uint64_t gpa = kMax - 0x1ffff; // [2^64 - 0x20000, 2^64 - 0x10000)
    ASSERT_TRUE(mem_.add_region({gpa, 0x10000, kMax - 0xfffff, 0}, dup()));
    EXPECT_NE(mem_.gpa_to_ptr(gpa + 0xfff0, 0x10), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(gpa + 0xfff0, 0x11), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(gpa + 0xfff0, kMax), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(kMax - 3, 8), nullptr);
    EXPECT_EQ(mem_.uva_to_ptr(kMax - 0xfffff + 0x8000, kMax - 0x8000), nullptr);
}

TEST_F(GuestMemoryTest, RejectsInvalidDescriptors) {
    EXPECT_FALSE(mem_.add_region({0x1000, 0, 0, 0}, dup()));                 // size 0
    EXPECT_FALSE(mem_.add_region({kMax - 0xfff, 0x2000, 0, 0}, dup()));      // gpa + size wraps
    EXPECT_FALSE(mem_.add_region({0x1000, 0x2000, kMax - 0xfff, 0}, dup())); // uva wraps
    EXPECT_FALSE(mem_.add_region({0x1000, 0x2000, 0, kMax - 0xfff}, dup())); // offset wraps
    EXPECT_FALSE(mem_.add_region({0x1000, 0x2000, 0, 0}, UniqueFd{}));       // no fd
    EXPECT_EQ(mem_.region_count(), 0);
}

TEST_F(GuestMemoryTest, RejectsRegionBeyondFileSize) {
    EXPECT_FALSE(mem_.add_region({0, 2 * kMiB + 4096, 0, 0}, dup()));
    EXPECT_FALSE(mem_.add_region({0, 2 * kMiB, 0, 4096}, dup()));
    EXPECT_FALSE(mem_.add_region({0, 4096, 0, 2 * kMiB}, dup()));
    EXPECT_TRUE(mem_.add_region({0, kMiB, 0, kMiB}, dup())); // exactly up to EOF
}

TEST_F(GuestMemoryTest, RejectsNonRegularFile) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    UniqueFd r{p[0]}, w{p[1]};
    EXPECT_FALSE(mem_.add_region({0, 4096, 0, 0}, std::move(r)));
}

TEST_F(GuestMemoryTest, RejectsOverlaps) {
    ASSERT_TRUE(mem_.add_region({0x100000, 0x100000, 0x1000000, 0}, dup()));
    EXPECT_FALSE(mem_.add_region({0x0ff000, 0x2000, 0x3000000, 0}, dup()));   // straddles start
    EXPECT_FALSE(mem_.add_region({0x1ff000, 0x2000, 0x3000000, 0}, dup()));   // straddles end
    EXPECT_FALSE(mem_.add_region({0x180000, 0x1000, 0x3000000, 0}, dup()));   // inside
    EXPECT_FALSE(mem_.add_region({0x000000, 0x400000, 0x3000000, 0}, dup())); // covers
    EXPECT_TRUE(mem_.add_region({0x200000, 0x1000, 0x3000000, 0}, dup()));    // adjacent
    EXPECT_TRUE(mem_.add_region({0x0ff000, 0x1000, 0x4000000, 0}, dup()));    // adjacent below
    EXPECT_EQ(mem_.region_count(), 3);
}

TEST_F(GuestMemoryTest, RangeSpanningTwoAdjacentRegionsIsRejected) {
    ASSERT_TRUE(mem_.add_region({0x100000, 0x10000, 0x1000000, 0}, dup()));
    ASSERT_TRUE(mem_.add_region({0x110000, 0x10000, 0x1010000, kMiB}, dup()));
    EXPECT_NE(mem_.gpa_to_ptr(0x10fff8, 8), nullptr);
    EXPECT_NE(mem_.gpa_to_ptr(0x110000, 8), nullptr);
    EXPECT_EQ(mem_.gpa_to_ptr(0x10fff8, 16), nullptr);
    EXPECT_FALSE(mem_.gpa_to_file(0x10fff8, 16).has_value());
    EXPECT_EQ(mem_.uva_to_ptr(0x100fff8, 16), nullptr);
}

TEST_F(GuestMemoryTest, AtMostMaxSlotsRegionsAndRemove) {
    constexpr uint64_t n = GuestMemory::kMaxRegions;
    static_assert(n == vhost_user::kMaxMemSlots && n >= 32);
    for (uint64_t i = 0; i < n; ++i)
        ASSERT_TRUE(mem_.add_region({i * 0x10000, 0x1000, 0x1000000 + i * 0x10000, 0}, dup()));
    EXPECT_FALSE(mem_.add_region({n * 0x10000, 0x1000, 0x9000000, 0}, dup()));
    EXPECT_EQ(mem_.region_count(), static_cast<int>(n));
    EXPECT_TRUE(mem_.remove_region({0x30000, 0x1000, 0x1030000, 0}));
    EXPECT_FALSE(mem_.remove_region({0x30000, 0x1000, 0x1030000, 0}));
    EXPECT_EQ(mem_.region_count(), static_cast<int>(n - 1));
    EXPECT_EQ(mem_.gpa_to_ptr(0x30000, 1), nullptr);
    EXPECT_NE(mem_.gpa_to_ptr(0x70000, 1), nullptr);
    // A slot is free again.
    EXPECT_TRUE(mem_.add_region({n * 0x10000, 0x1000, 0x9000000, 0}, dup()));
    mem_.clear();
    EXPECT_EQ(mem_.region_count(), 0);
    EXPECT_EQ(mem_.gpa_to_ptr(0x70000, 1), nullptr);
}

// REM_MEM_REG identifies a region by gpa, size and uva; mmap_offset is ignored.
TEST_F(GuestMemoryTest, RemoveMatchesGpaSizeAndUvaOnly) {
    ASSERT_TRUE(mem_.add_region({0x100000, 0x2000, 0x7000000, 0x1000}, dup()));
    EXPECT_FALSE(mem_.remove_region({0x100000, 0x1000, 0x7000000, 0x1000})); // size
    EXPECT_FALSE(mem_.remove_region({0x101000, 0x1000, 0x7001000, 0x1000})); // inside
    EXPECT_FALSE(mem_.remove_region({0x100000, 0x2000, 0x7001000, 0x1000})); // uva
    EXPECT_FALSE(mem_.remove_region({0, 0, 0, 0}));
    EXPECT_FALSE(mem_.remove_region({kMax, kMax, kMax, kMax}));
    EXPECT_EQ(mem_.match({0x100000, 0x2000, 0x7000000, 0}), 0);
    EXPECT_EQ(mem_.region_count(), 1);
    EXPECT_TRUE(mem_.remove_region({0x100000, 0x2000, 0x7000000, 0xdead000})); // offset ignored
    EXPECT_EQ(mem_.region_count(), 0);
}

// Removing a region unmaps it and closes its fd; the other regions keep their
// mappings and fds (the array is compacted by moving, not remapping).
TEST_F(GuestMemoryTest, RemoveUnmapsAndClosesOnlyThatRegion) {
    ASSERT_TRUE(mem_.add_region({0x100000, 0x1000, 0x7000000, 0}, dup()));
    ASSERT_TRUE(mem_.add_region({0x200000, 0x1000, 0x8000000, 0x1000}, dup()));
    ASSERT_TRUE(mem_.add_region({0x300000, 0x1000, 0x9000000, 0x2000}, dup()));
    const int gone_fd = mem_.region_fd(0);
    const int kept_fd = mem_.region_fd(2);
    uint8_t* kept = mem_.gpa_to_ptr(0x300000, 0x1000);
    ASSERT_NE(kept, nullptr);
    std::memcpy(view_.data() + 0x2000, "kept", 4);
    EXPECT_TRUE(mem_.remove_region({0x100000, 0x1000, 0x7000000, 0}));
    EXPECT_EQ(::fcntl(gone_fd, F_GETFD), -1); // closed
    EXPECT_EQ(mem_.gpa_to_ptr(0x300000, 0x1000), kept);
    EXPECT_EQ(std::memcmp(kept, "kept", 4), 0);
    auto f = mem_.gpa_to_file(0x300000, 1);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->fd, kept_fd);
    EXPECT_GE(::fcntl(kept_fd, F_GETFD), 0);
    EXPECT_EQ(mem_.uva_to_ptr(0x7000000, 1), nullptr);
}

// ADD_MEM_REG after SET_MEM_TABLE-style adds: overlaps in guest-physical space with
// any held region are refused and leave the memory unchanged.
TEST_F(GuestMemoryTest, AddedRegionMustNotOverlapAnyHeldOne) {
    ASSERT_TRUE(mem_.add_region({0x100000, 0x10000, 0x7000000, 0}, dup()));
    EXPECT_FALSE(mem_.add_region({0x10f000, 0x2000, 0x8000000, 0}, dup()));  // tail
    EXPECT_FALSE(mem_.add_region({0x0ff000, 0x2000, 0x8000000, 0}, dup()));  // head
    EXPECT_FALSE(mem_.add_region({0x0f0000, 0x30000, 0x8000000, 0}, dup())); // around
    EXPECT_FALSE(mem_.add_region({0x104000, 0x1000, 0x8000000, 0}, dup()));  // inside
    EXPECT_FALSE(mem_.add_region({0x100000, 0x10000, 0x7000000, 0}, dup())); // twice
    EXPECT_TRUE(mem_.add_region({0x110000, 0x1000, 0x8000000, 0}, dup()));   // adjacent
    EXPECT_EQ(mem_.region_count(), 2);
    EXPECT_FALSE(mem_.add_region({0x200000, 0x1000, 0x9000000, 0}, UniqueFd{})); // no fd
    EXPECT_EQ(mem_.region_count(), 2);
}

} // namespace
} // namespace vdmabuf::virtio

namespace vdmabuf::virtio {
namespace {

// A memfd the front-end could still shrink would SIGBUS the daemon later.
TEST(GuestMemorySeals, RejectsShrinkableMemfd) {
    UniqueFd loose{::memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    ASSERT_TRUE(loose);
    ASSERT_EQ(::ftruncate(loose.get(), 1 << 20), 0);
    GuestMemory mem;
    EXPECT_FALSE(mem.add_region({0x10000000, 1 << 20, 0x7f0000000000, 0}, loose.dup_cloexec()));
    ASSERT_EQ(::fcntl(loose.get(), F_ADD_SEALS, F_SEAL_SHRINK), 0);
    EXPECT_TRUE(mem.add_region({0x10000000, 1 << 20, 0x7f0000000000, 0}, std::move(loose)));
}

} // namespace
} // namespace vdmabuf::virtio
