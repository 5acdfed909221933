// Every error code of device spec §6/§7 reached through the pure validators, in the
// order §6.2/§6.3 prescribe, with the detail offsets, boundaries and overflow cases.
#include "guest/request_validator.hpp"

#include "guest_test_memory.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <vector>

namespace vdmabuf::backend {
namespace {

constexpr uint64_t kRegionA = 0x1'0000'0000;
constexpr uint64_t kRegionSize = 64 << 20; // sparse memfds
constexpr uint64_t kRegionB = kRegionA + kRegionSize; // adjacent to A
constexpr uint64_t kRingEnd = kRegionA + 0x4000;       // rings in A's first 4 pages
constexpr uint64_t kBufAddr = kRegionA + 0x10000;
constexpr uint32_t kGuest = 7;
constexpr uint64_t kKey = 0x1122334455667788;

constexpr uint32_t kExt0 = sizeof(vdmabuf_cmd_export); // detail of extents[0]

struct ExportReq {
    vdmabuf_cmd_export cmd{};
    std::vector<vdmabuf_extent> ext;
    size_t len() const { return sizeof cmd + ext.size() * sizeof(vdmabuf_extent); }
    void set_extents(std::vector<vdmabuf_extent> e) {
        ext = std::move(e);
        cmd.n_extents = static_cast<uint32_t>(ext.size());
    }
};

class ValidatorTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(test::add_memfd_region(mem_, kRegionA, kRegionSize, 0x7000'0000'0000));
        ASSERT_TRUE(test::add_memfd_region(mem_, kRegionB, kRegionSize, 0x7100'0000'0000));
        scratch_.reserve(VDMABUF_MAX_EXTENTS + 1);
    }

    // 64x64 XRGB8888, stride 256: 16 KiB in one extent.
    static ExportReq good_export(uint32_t counter = 1, uint64_t addr = kBufAddr) {
        ExportReq r;
        r.cmd.hdr.type = VDMABUF_CMD_EXPORT;
        r.cmd.id = {kGuest, counter, kKey};
        r.cmd.fourcc = DRM_FORMAT_XRGB8888;
        r.cmd.width = 64;
        r.cmd.height = 64;
        r.cmd.n_planes = 1;
        r.cmd.planes[0] = {0, 256};
        r.cmd.size = 16384;
        r.set_extents({{addr, 16384}});
        return r;
    }

    ValidationResult check(const ExportReq& r) { return check(r, r.len()); }
    ValidationResult check(const ExportReq& r, size_t len) {
        ExportContext ctx{{kGuest, kKey}, table_, mem_, rings_, max_buffers_};
        return validate_export(r.cmd, r.ext, len, ctx, scratch_);
    }

    // Inserts an accepted buffer into the table.
    void add(const ExportReq& r) {
        ASSERT_TRUE(check(r).ok());
        Buffer b;
        b.id = BufferId::from_wire(r.cmd.id);
        b.width = r.cmd.width;
        b.height = r.cmd.height;
        std::vector<GpaRange> ranges;
        for (const auto& e : r.ext)
            ranges.push_back({e.addr, e.len});
        table_.insert(std::move(b), ranges);
    }

    virtio::GuestMemory mem_;
    BufferTable table_{64};
    std::vector<GpaRange> rings_{{kRegionA, 0x1000}, {kRegionA + 0x1000, 0x1000}, {kRegionA + 0x2000, 0x2000}};
    uint32_t max_buffers_ = 4;
    std::vector<IndexedRange> scratch_;
};

void expect(ValidationResult r, uint32_t code, size_t detail) {
    EXPECT_EQ(r.code, code) << std::hex << "code 0x" << r.code << " detail " << std::dec << r.detail;
    EXPECT_EQ(r.detail, detail);
}

// ---- HELLO ----

vdmabuf_cmd_hello good_hello(const char* name = "guest0") {
    vdmabuf_cmd_hello h{};
    h.hdr.type = VDMABUF_CMD_HELLO;
    h.magic = VDMABUF_MAGIC;
    h.version = VDMABUF_VERSION;
    std::memcpy(h.name, name, std::strlen(name));
    return h;
}

TEST(HelloValidator, AcceptsNamedAndEmpty) {
    EXPECT_TRUE(validate_hello(good_hello(), sizeof(vdmabuf_cmd_hello), false).ok());
    EXPECT_EQ(hello_name(good_hello()), "guest0");
    EXPECT_TRUE(validate_hello(good_hello(""), sizeof(vdmabuf_cmd_hello), false).ok());
    EXPECT_EQ(hello_name(good_hello("")), "");
    auto full = good_hello("0123456789abcdef0123456789abcdef"); // 32 chars, no NUL
    EXPECT_TRUE(validate_hello(full, sizeof full, false).ok());
    EXPECT_EQ(hello_name(full).size(), 32u);
}

TEST(HelloValidator, Errors) {
    auto h = good_hello();
    expect(validate_hello(h, 55, false), VDMABUF_RESP_ERR_MALFORMED, 0);
    expect(validate_hello(h, 57, false), VDMABUF_RESP_ERR_MALFORMED, 0);
    // 64 bytes carries the features (§6.1); nothing between, nothing longer.
    EXPECT_TRUE(validate_hello(h, sizeof(vdmabuf_cmd_hello_features), false).ok());
    expect(validate_hello(h, 60, false), VDMABUF_RESP_ERR_MALFORMED, 0);
    expect(validate_hello(h, 72, false), VDMABUF_RESP_ERR_MALFORMED, 0);
    expect(validate_hello(h, sizeof h, true), VDMABUF_RESP_ERR_MALFORMED, 0); // second HELLO
    h.hdr.flags = 1;
    expect(validate_hello(h, sizeof h, false), VDMABUF_RESP_ERR_MALFORMED, 4);
    h = good_hello();
    h.magic = 0x12345678;
    expect(validate_hello(h, sizeof h, false), VDMABUF_RESP_ERR_VERSION, 16);
    h = good_hello();
    h.version = 2;
    expect(validate_hello(h, sizeof h, false), VDMABUF_RESP_ERR_VERSION, 20);
    h = good_hello("a b"); // space is not 0x21..0x7e
    expect(validate_hello(h, sizeof h, false), VDMABUF_RESP_ERR_MALFORMED, 24 + 1);
    h = good_hello("ab");
    h.name[5] = 'x'; // garbage after the NUL
    expect(validate_hello(h, sizeof h, false), VDMABUF_RESP_ERR_MALFORMED, 24 + 5);
    h = good_hello("ab");
    h.name[0] = 0x80;
    expect(validate_hello(h, sizeof h, false), VDMABUF_RESP_ERR_MALFORMED, 24);
}

// ---- EXPORT, rule by rule ----

TEST_F(ValidatorTest, ExportAccepted) {
    EXPECT_TRUE(check(good_export()).ok());
}

TEST_F(ValidatorTest, ExportMalformed) {
    auto r = good_export();
    expect(check(r, 103), VDMABUF_RESP_ERR_MALFORMED, 0);
    expect(check(r, r.len() - 1), VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_export, n_extents));
    expect(check(r, r.len() + 16), VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_export, n_extents));
    r.cmd.n_extents = 0xffffffff; // 104 + 16 * n must not wrap into a match
    expect(check(r, r.len()), VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_export, n_extents));
    r = good_export();
    r.cmd.hdr.flags = 2;
    expect(check(r), VDMABUF_RESP_ERR_MALFORMED, 4);
    r = good_export();
    r.cmd.padding = 1;
    expect(check(r), VDMABUF_RESP_ERR_MALFORMED, 100);
    r = good_export();
    r.cmd.planes[3].stride = 1; // unused plane
    expect(check(r), VDMABUF_RESP_ERR_MALFORMED, 56 + 3 * 8);
    r = good_export();
    r.cmd.planes[1].offset = 4096;
    expect(check(r), VDMABUF_RESP_ERR_MALFORMED, 56 + 8);
}

TEST_F(ValidatorTest, ExportMalformedBeforeId) {
    auto r = good_export();
    r.cmd.id.key ^= 1;
    r.cmd.padding = 1;
    expect(check(r), VDMABUF_RESP_ERR_MALFORMED, 100);
}

TEST_F(ValidatorTest, ExportInvalidId) {
    auto r = good_export();
    r.cmd.id.guest = kGuest + 1; // another guest's id
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ID, 16);
    r = good_export();
    r.cmd.id.key = kKey ^ 0x8000; // forged key
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ID, 24);
    r = good_export(0); // counter 0
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ID, 20);
}

TEST_F(ValidatorTest, ExportDuplicateId) {
    add(good_export(5));
    auto r = good_export(5, kBufAddr + 0x100000);
    expect(check(r), VDMABUF_RESP_ERR_DUPLICATE_ID, 20);
}

TEST_F(ValidatorTest, ExportQuota) {
    for (uint32_t i = 0; i < max_buffers_; ++i)
        add(good_export(i + 1, kBufAddr + i * 0x10000));
    auto r = good_export(100, kBufAddr + 0x100000);
    expect(check(r), VDMABUF_RESP_ERR_QUOTA, 0);
    // Quota comes before sizes.
    r.cmd.width = 0;
    expect(check(r), VDMABUF_RESP_ERR_QUOTA, 0);
}

TEST_F(ValidatorTest, ExportSizeLimits) {
    auto r = good_export();
    r.cmd.width = 0;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 36);
    r.cmd.width = 16385;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 36);
    r = good_export();
    r.cmd.height = 0;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 40);
    r.cmd.height = 16385;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 40);
    r = good_export();
    r.cmd.size = 0;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 88);
    r.cmd.size = 16384 + 1; // not a page multiple
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 88);
    r.cmd.size = VDMABUF_MAX_BUFFER_SIZE + 4096;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 88);
    r.cmd.size = ~uint64_t{0} & ~uint64_t{4095}; // size overflow territory
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 88);
}

TEST_F(ValidatorTest, ExportMaxDimensionAccepted) {
    // 16384 x 1 XRGB8888: stride 65536, 16 pages.
    auto r = good_export();
    r.cmd.width = 16384;
    r.cmd.height = 1;
    r.cmd.planes[0] = {0, 65536};
    r.cmd.size = 65536;
    r.set_extents({{kBufAddr, 65536}});
    EXPECT_TRUE(check(r).ok());
}

TEST_F(ValidatorTest, ExportExtentCount) {
    auto r = good_export();
    r.set_extents({});
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 96);
    // 4097 one-page extents: over the limit (the request size matches).
    std::vector<vdmabuf_extent> many(VDMABUF_MAX_EXTENTS + 1);
    for (size_t i = 0; i < many.size(); ++i)
        many[i] = {kRegionB + i * 4096, 4096};
    r.set_extents(many);
    r.cmd.size = 4096ull * many.size();
    r.cmd.height = 1;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 96);
}

TEST_F(ValidatorTest, ExportMaxExtentsAccepted) {
    // 4096 one-page extents, every other page of region B: the most scattered buffer.
    auto r = good_export();
    std::vector<vdmabuf_extent> many(VDMABUF_MAX_EXTENTS);
    for (size_t i = 0; i < many.size(); ++i)
        many[i] = {kRegionB + i * 8192, 4096};
    r.set_extents(many);
    r.cmd.size = 4096ull * many.size();
    r.cmd.width = 1024;
    r.cmd.height = 4096;
    r.cmd.planes[0] = {0, 4096};
    EXPECT_TRUE(check(r).ok());
}

TEST_F(ValidatorTest, ExportFormat) {
    auto r = good_export();
    r.cmd.fourcc = fourcc_code('N', 'O', 'P', 'E');
    expect(check(r), VDMABUF_RESP_ERR_INVALID_FORMAT, 32);
    r = good_export();
    r.cmd.modifier = I915_FORMAT_MOD_X_TILED;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_FORMAT, 48);
    r.cmd.modifier = DRM_FORMAT_MOD_INVALID;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_FORMAT, 48);
}

TEST_F(ValidatorTest, ExportAddress) {
    auto r = good_export();
    r.ext[0].addr += 512; // unaligned address
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0);
    r = good_export();
    r.set_extents({{kBufAddr, 8192}, {kBufAddr + 0x10000, 8192 + 100}}); // unaligned len
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0 + 16 + 8);
    r.set_extents({{kBufAddr, 0}, {kBufAddr + 0x10000, 16384}}); // empty extent
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0 + 8);
    r.set_extents({{0xffff'ffff'ffff'f000, 0x2000}, {kBufAddr, 8192}}); // wraps u64
    r.cmd.size = 0x4000;
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0 + 8);
    r = good_export(1, 0x1000); // below every region
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0);
    r = good_export(1, kRegionB + kRegionSize); // just past the last region
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0);
    r = good_export(1, kRegionB + kRegionSize - 4096); // runs past the end
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0);
    // Spans the boundary of two adjacent regions: not wholly inside one.
    r = good_export(1, kRegionB - 8192);
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0);
    // The same bytes split at the boundary into two extents are fine.
    r.set_extents({{kRegionB - 8192, 8192}, {kRegionB, 8192}});
    EXPECT_TRUE(check(r).ok());
}

TEST_F(ValidatorTest, ExportExtentSum) {
    auto r = good_export();
    r.set_extents({{kBufAddr, 8192}, {kBufAddr + 0x10000, 4096}}); // 12 KiB < 16 KiB
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 88);
    r.set_extents({{kBufAddr, 8192}, {kBufAddr + 0x10000, 8192}, {kBufAddr + 0x20000, 4096}});
    expect(check(r), VDMABUF_RESP_ERR_INVALID_SIZE, 88); // sums past size
    // Addresses are checked before the total.
    r.set_extents({{kBufAddr, 8192}, {kBufAddr + 1, 4096}});
    expect(check(r), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExt0 + 16);
}

TEST_F(ValidatorTest, ExportOverlap) {
    // With itself: second extent reuses the first's last page.
    auto r = good_export();
    r.set_extents({{kBufAddr, 8192}, {kBufAddr + 4096, 8192}});
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0 + 16);
    // Same page twice, out of order, with a disjoint one between.
    r.set_extents({{kBufAddr + 0x20000, 4096}, {kBufAddr + 0x30000, 8192}, {kBufAddr + 0x20000, 4096}});
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0 + 32);
    // A large extent containing a later small one.
    r.set_extents({{kBufAddr, 12288}, {kBufAddr + 4096, 4096}});
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0 + 16);
    // Adjacent is not overlapping.
    r.set_extents({{kBufAddr + 8192, 8192}, {kBufAddr, 8192}});
    EXPECT_TRUE(check(r).ok());

    // With the rings.
    r = good_export(1, kRingEnd - 4096);
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0);
    r = good_export(1, kRegionA);
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0);
    r = good_export(1, kRingEnd); // right after the rings
    EXPECT_TRUE(check(r).ok());

    // With another live buffer of this guest.
    add(good_export(1, kBufAddr));
    r = good_export(2, kBufAddr + 12288);
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0);
    r = good_export(2, kBufAddr - 4096);
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0);
    r = good_export(2, kBufAddr + 16384);
    EXPECT_TRUE(check(r).ok());
    r.set_extents({{kBufAddr + 0x40000, 8192}, {kBufAddr + 8192, 8192}});
    expect(check(r), VDMABUF_RESP_ERR_OVERLAP, kExt0 + 16);
    // Once the other buffer is gone its pages are free again.
    table_.erase(1);
    EXPECT_TRUE(check(good_export(2, kBufAddr)).ok());
}

TEST_F(ValidatorTest, ExportLayout) {
    auto r = good_export();
    r.cmd.n_planes = 2;
    r.cmd.planes[1] = {8192, 256};
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 44);
    r = good_export();
    r.cmd.n_planes = 5; // over VDMABUF_MAX_PLANES: no unused planes, layout error
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 44);
    r = good_export();
    r.cmd.n_planes = 0; // plane 0 is now "unused" yet set: rule 1 fires first
    expect(check(r), VDMABUF_RESP_ERR_MALFORMED, 56);
    r.cmd.planes[0] = {};
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 44);
    r = good_export();
    r.cmd.planes[0].stride = 255; // below width * 4
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 60);
    r = good_export();
    r.cmd.planes[0].offset = 16384; // plane offset past size
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 56);
    r = good_export();
    r.cmd.planes[0].offset = 4; // last row runs past the end
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 56);
    r = good_export();
    r.cmd.planes[0] = {0xffffffff, 0xffffffff}; // stride * height and offset overflow u32
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 56);
    // stride * height overflows 32 bits but not 64: still past size.
    r = good_export();
    r.cmd.width = 16384;
    r.cmd.height = 16384;
    r.cmd.planes[0] = {0, 0x40000};
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 56);
}

TEST_F(ValidatorTest, ExportTwoPlaneNv12) {
    // 64x64 NV12: Y 64x64 @0 stride 64 (4096), UV 32x32x2 @4096 stride 64 (2048).
    auto r = good_export();
    r.cmd.fourcc = DRM_FORMAT_NV12;
    r.cmd.n_planes = 2;
    r.cmd.planes[0] = {0, 64};
    r.cmd.planes[1] = {4096, 64};
    r.cmd.size = 8192;
    r.set_extents({{kBufAddr, 8192}});
    EXPECT_TRUE(check(r).ok());
    r.cmd.planes[1] = {4096 + 2048 + 64, 64};
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 64);
    r.cmd.planes[1] = {4096, 62};
    expect(check(r), VDMABUF_RESP_ERR_INVALID_LAYOUT, 68);
}

// ---- PRESENT ----

class PresentTest : public ValidatorTest {
protected:
    void SetUp() override {
        ValidatorTest::SetUp();
        add(good_export(1));
    }
    static vdmabuf_cmd_present good_present(uint64_t sequence = 1) {
        vdmabuf_cmd_present p{};
        p.hdr.type = VDMABUF_CMD_PRESENT;
        p.id = {kGuest, 1, kKey};
        p.output = 0;
        p.sequence = sequence;
        return p;
    }
    ValidationResult check_present(const vdmabuf_cmd_present& p, size_t len = sizeof(vdmabuf_cmd_present)) {
        return validate_present(p, len, {kGuest, kKey}, table_, seq_);
    }
    OutputSequences seq_;
};

TEST_F(PresentTest, Accepted) {
    EXPECT_TRUE(check_present(good_present(0)).ok()); // no previous sequence on output 0
    auto p = good_present();
    p.output = 15;
    p.n_damage = 16;
    for (auto& d : p.damage)
        d = {0, 0, 64, 64};
    EXPECT_TRUE(check_present(p).ok());
}

TEST_F(PresentTest, Malformed) {
    auto p = good_present();
    expect(check_present(p, 311), VDMABUF_RESP_ERR_MALFORMED, 0);
    expect(check_present(p, 313), VDMABUF_RESP_ERR_MALFORMED, 0);
    p.hdr.flags = 1;
    expect(check_present(p), VDMABUF_RESP_ERR_MALFORMED, 4);
}

TEST_F(PresentTest, InvalidId) {
    auto p = good_present();
    p.id.guest = kGuest + 1;
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_ID, 16);
    p = good_present();
    p.id.key = 0;
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_ID, 24);
    p = good_present();
    p.id.counter = 2; // not live
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_ID, 20);
    p.id.counter = 0;
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_ID, 20);
}

TEST_F(PresentTest, Output) {
    auto p = good_present();
    p.output = 16;
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_OUTPUT, 32);
    p.output = 0xffffffff;
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_OUTPUT, 32);
}

TEST_F(PresentTest, Damage) {
    auto p = good_present();
    p.n_damage = 17;
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_DAMAGE, 36);
    p.n_damage = 2;
    p.damage[0] = {0, 0, 64, 64};
    p.damage[1] = {60, 0, 5, 1}; // one column outside
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_DAMAGE, 56 + 16);
    p.damage[1] = {0, 64, 1, 1}; // below the buffer
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_DAMAGE, 56 + 16);
    p.damage[1] = {0, 0, 0, 1}; // empty
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_DAMAGE, 56 + 16);
    p.damage[1] = {0xffffffff, 0, 2, 1}; // x + width wraps u32
    expect(check_present(p), VDMABUF_RESP_ERR_INVALID_DAMAGE, 56 + 16);
    p.damage[1] = {63, 63, 1, 1};
    p.damage[2] = {1000, 1000, 0, 0}; // unused rectangles are ignored
    EXPECT_TRUE(check_present(p).ok());
}

TEST_F(PresentTest, InUseAndStale) {
    table_.find(1)->in_flight = true;
    expect(check_present(good_present()), VDMABUF_RESP_ERR_IN_USE, 16);
    table_.find(1)->in_flight = false;
    seq_.last[0] = 10;
    seq_.seen = 1;
    expect(check_present(good_present(10)), VDMABUF_RESP_ERR_STALE_SEQUENCE, 40);
    expect(check_present(good_present(3)), VDMABUF_RESP_ERR_STALE_SEQUENCE, 40);
    EXPECT_TRUE(check_present(good_present(11)).ok());
    auto p = good_present(1); // another output has its own sequence
    p.output = 1;
    EXPECT_TRUE(check_present(p).ok());
}

// ---- UNEXPORT ----

TEST_F(PresentTest, Unexport) {
    vdmabuf_cmd_unexport u{};
    u.hdr.type = VDMABUF_CMD_UNEXPORT;
    u.id = {kGuest, 1, kKey};
    EXPECT_TRUE(validate_unexport(u, sizeof u, {kGuest, kKey}, table_).ok());
    expect(validate_unexport(u, 31, {kGuest, kKey}, table_), VDMABUF_RESP_ERR_MALFORMED, 0);
    u.hdr.flags = 8;
    expect(validate_unexport(u, sizeof u, {kGuest, kKey}, table_), VDMABUF_RESP_ERR_MALFORMED, 4);
    u.hdr.flags = 0;
    u.id.counter = 9;
    expect(validate_unexport(u, sizeof u, {kGuest, kKey}, table_), VDMABUF_RESP_ERR_INVALID_ID, 20);
    u.id.counter = 1;
    u.id.key = 1;
    expect(validate_unexport(u, sizeof u, {kGuest, kKey}, table_), VDMABUF_RESP_ERR_INVALID_ID, 24);
    u.id.key = kKey;
    table_.find(1)->in_flight = true; // unexport while presented
    expect(validate_unexport(u, sizeof u, {kGuest, kKey}, table_), VDMABUF_RESP_ERR_IN_USE, 16);
}

} // namespace
} // namespace vdmabuf::backend
