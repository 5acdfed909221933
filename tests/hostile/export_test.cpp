// Hostile EXPORTs (device spec §6.2): every rule answered with its error code and
// the byte offset of the offending field, nothing registered, nothing mapped.
#include "fixture.hpp"
#include "wire_requests.hpp"

#include <drm_fourcc.h>

namespace vdmabuf::hostile {
namespace {

constexpr uint32_t kExtent0 = sizeof(vdmabuf_cmd_export); // 104
constexpr uint32_t kExtentLen = 8;
constexpr uint32_t kOffWidth = offsetof(vdmabuf_cmd_export, width);
constexpr uint32_t kOffHeight = offsetof(vdmabuf_cmd_export, height);
constexpr uint32_t kOffSize = offsetof(vdmabuf_cmd_export, size);
constexpr uint32_t kOffNExtents = offsetof(vdmabuf_cmd_export, n_extents);
constexpr uint32_t kOffPlanes = offsetof(vdmabuf_cmd_export, planes);

using Export = Hostile;

TEST_F(Export, AddressOutsideGuestMemory) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest e = g->valid_export(1);
    e.extents[0].addr = 0x10000; // below the only region
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0);
    e.extents[0].addr = RawGuest::kGpa + g->memory_size(); // just past its end
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0);
    e.extents[0].addr = RawGuest::kGpa + g->memory_size() - 4096; // straddles the end
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0);
    e.extents[0].addr = RawGuest::kGpa + 4096 * 40 + 8; // unaligned
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0);
    expect_log("EXPORT (0x0101");
    expect_log("ERR_INVALID_ADDRESS");
    expect_counter({"daemon", "errors", "INVALID_ADDRESS"}, 4);
}

TEST_F(Export, AddressPlusLengthOverflows) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest e = g->valid_export(1);
    e.extents[0] = {0xfffffffffffff000ull, 0x2000};
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0 + kExtentLen);
    e.extents[0] = {RawGuest::kGpa, 0xffffffff00000000ull};
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0 + kExtentLen);
    // Lengths that sum past 2^64 across extents: the total is checked without wrapping.
    e.cmd.n_extents = 2;
    e.extents = {{g->alloc(4096), 4096}, {g->alloc(4096), 0xfffffffffffff000ull}};
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0 + 16 + kExtentLen);
    expect_log("ERR_INVALID_ADDRESS");
    expect_counter({"daemon", "errors", "INVALID_ADDRESS"}, 3);
}

TEST_F(Export, ExtentsOverlapAnotherBuffer) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest first = g->valid_export(1);
    auto ok = g->request(first.bytes());
    ASSERT_TRUE(ok && ok->resp.hdr.type == VDMABUF_RESP_OK);
    ExportRequest second = g->valid_export(2);
    second.extents[0].addr = first.extents[0].addr + 4096; // shares three pages
    expect_error(*g, second.bytes(), VDMABUF_RESP_ERR_OVERLAP, kExtent0);
    // Two extents of one buffer on the same page.
    ExportRequest self = g->valid_export(3);
    const uint64_t page = g->alloc(8192);
    self.cmd.n_extents = 2;
    self.extents = {{page, 8192}, {page + 4096, 8192}};
    self.cmd.size = 16384;
    expect_error(*g, self.bytes(), VDMABUF_RESP_ERR_OVERLAP, kExtent0 + 16);
    expect_log("ERR_OVERLAP");
    expect_counter({"daemon", "errors", "OVERLAP"}, 2);
}

TEST_F(Export, ExtentsOverlapTheRings) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    for (uint32_t q = 0; q < 2; ++q) {
        ExportRequest e = g->valid_export(10 + q);
        e.extents[0].addr = g->ring_gpa(q);
        expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_OVERLAP, kExtent0);
    }
    // The ring page as the second extent of an otherwise fine buffer.
    ExportRequest e = g->valid_export(12);
    e.cmd.n_extents = 2;
    e.extents = {{g->alloc(8192), 8192}, {g->ring_gpa(VDMABUF_VQ_CTRL), 8192}};
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_OVERLAP, kExtent0 + 16);
    expect_log("ERR_OVERLAP");
    expect_counter({"daemon", "errors", "OVERLAP"}, 3);
}

TEST_F(Export, PlaneLayoutsBeyondTheBuffer) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest e = g->valid_export(1); // 64x64 XRGB8888, stride 256, 16 KiB
    e.cmd.planes[0] = {4096, 256};        // offset + stride * height > size
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_LAYOUT, kOffPlanes);
    e.cmd.planes[0] = {0, 255}; // below the minimum stride for the width
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_LAYOUT, kOffPlanes + 4);
    e.cmd.planes[0] = {0xfffff000u, 0xffffffffu}; // products that overflow 32 bits
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_LAYOUT, kOffPlanes);
    e.cmd.planes[0] = {0, 256};
    e.cmd.n_planes = 2; // XRGB8888 has one plane
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_LAYOUT,
                 offsetof(vdmabuf_cmd_export, n_planes));
    // NV12 with its chroma plane past the end.
    ExportRequest nv12 = g->valid_export(2);
    nv12.cmd.fourcc = DRM_FORMAT_NV12;
    nv12.cmd.n_planes = 2;
    nv12.cmd.planes[0] = {0, 64};
    nv12.cmd.planes[1] = {16384 - 64, 64};
    expect_error(*g, nv12.bytes(), VDMABUF_RESP_ERR_INVALID_LAYOUT, kOffPlanes + 8);
    expect_log("ERR_INVALID_LAYOUT");
    expect_counter({"daemon", "errors", "INVALID_LAYOUT"}, 5);
}

TEST_F(Export, ZeroSizes) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest e = g->valid_export(1);
    e.cmd.width = 0;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffWidth);
    e = g->valid_export(1);
    e.cmd.height = 0;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffHeight);
    e = g->valid_export(1);
    e.cmd.size = 0;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffSize);
    e = g->valid_export(1);
    e.cmd.n_extents = 0;
    e.extents.clear();
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffNExtents);
    e = g->valid_export(1);
    e.extents[0].len = 0;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0 + kExtentLen);
    expect_log("ERR_INVALID_SIZE");
    expect_counter({"daemon", "errors", "INVALID_SIZE"}, 4);
    expect_counter({"daemon", "errors", "INVALID_ADDRESS"}, 1);
}

TEST_F(Export, EnormousSizes) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest e = g->valid_export(1);
    e.cmd.width = VDMABUF_MAX_DIMENSION + 1;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffWidth);
    e = g->valid_export(1);
    e.cmd.height = 0xffffffffu;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffHeight);
    e = g->valid_export(1);
    e.cmd.size = VDMABUF_MAX_BUFFER_SIZE + 4096;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffSize);
    // The largest legal buffer, far bigger than guest memory: the extent check
    // catches it without the daemon mapping anything.
    e = g->valid_export(1);
    e.cmd.width = e.cmd.height = VDMABUF_MAX_DIMENSION;
    e.cmd.planes[0].stride = VDMABUF_MAX_DIMENSION * 4;
    e.cmd.size = VDMABUF_MAX_BUFFER_SIZE;
    e.extents[0].len = VDMABUF_MAX_BUFFER_SIZE;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ADDRESS, kExtent0);
    // Extent lengths that do not add up to size.
    e = g->valid_export(1);
    e.extents[0].len = 8192;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_SIZE, kOffSize);
    // n_extents claiming 4 billion records behind one: the size does not match.
    e = g->valid_export(1);
    e.cmd.n_extents = 0xffffffffu;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_MALFORMED, kOffNExtents);
    // 4097 extents: the request is longer than the largest one a chain may carry,
    // so the chain comes back unexecuted.
    e = g->valid_export(1);
    e.cmd.n_extents = VDMABUF_MAX_EXTENTS + 1;
    e.extents.assign(VDMABUF_MAX_EXTENTS + 1, vdmabuf_extent{RawGuest::kGpa + 0x100000, 4096});
    const auto bytes = e.bytes();
    const auto r = g->request(bytes);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->used_len, 0u);
    expect_log("ERR_INVALID_SIZE");
    expect_log("bad chain");
    expect_counter({"daemon", "errors", "INVALID_SIZE"}, 4);
    expect_counter({"daemon", "bad_chains"}, 1);
}

TEST_F(Export, UnknownFormatsAndModifiers) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest e = g->valid_export(1);
    e.cmd.fourcc = fourcc_code('N', 'O', 'P', 'E');
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_FORMAT, offsetof(vdmabuf_cmd_export, fourcc));
    e.cmd.fourcc = 0;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_FORMAT, offsetof(vdmabuf_cmd_export, fourcc));
    e = g->valid_export(1);
    e.cmd.modifier = I915_FORMAT_MOD_X_TILED;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_FORMAT,
                 offsetof(vdmabuf_cmd_export, modifier));
    e.cmd.modifier = DRM_FORMAT_MOD_INVALID;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_FORMAT,
                 offsetof(vdmabuf_cmd_export, modifier));
    expect_log("ERR_INVALID_FORMAT");
    expect_counter({"daemon", "errors", "INVALID_FORMAT"}, 4);
}

TEST_F(Export, MalformedShapes) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ExportRequest e = g->valid_export(1);
    e.cmd.hdr.flags = 1;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_hdr, flags));
    e = g->valid_export(1);
    e.cmd.padding = 7;
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_export, padding));
    e = g->valid_export(1);
    e.cmd.planes[2] = {0, 4}; // an unused plane
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_MALFORMED, kOffPlanes + 16);
    // Cut short in the middle of the fixed part, and in the middle of an extent.
    auto bytes = g->valid_export(1).bytes();
    bytes.resize(50);
    expect_error(*g, bytes, VDMABUF_RESP_ERR_MALFORMED, 0);
    bytes = g->valid_export(1).bytes();
    bytes.resize(bytes.size() - 3);
    expect_error(*g, bytes, VDMABUF_RESP_ERR_MALFORMED, kOffNExtents);
    // Shorter than a header: the error names request 0.
    expect_error(*g, std::vector<uint8_t>{1, 1, 0, 0, 0, 0, 0, 0}, VDMABUF_RESP_ERR_MALFORMED, 0);
    // A request type nobody defined.
    vdmabuf_cmd_unexport unknown{};
    unknown.hdr.type = 0x01ee;
    unknown.hdr.tag = 77;
    expect_error(*g, unknown, VDMABUF_RESP_ERR_MALFORMED, 0);
    expect_log("ERR_MALFORMED");
    expect_counter({"daemon", "errors", "MALFORMED"}, 7);
}

TEST_F(Export, HelloAbuse) {
    RawGuest* g = connection();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->start());
    // Before HELLO nothing else is served.
    ExportRequest e = g->valid_export(1);
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_NOT_READY, 0);
    vdmabuf_cmd_hello h = testwire::hello_cmd("");
    h.magic = 0xdeadbeef;
    expect_error(*g, h, VDMABUF_RESP_ERR_VERSION, offsetof(vdmabuf_cmd_hello, magic));
    h.magic = VDMABUF_MAGIC;
    h.version = 99;
    expect_error(*g, h, VDMABUF_RESP_ERR_VERSION, offsetof(vdmabuf_cmd_hello, version));
    h.version = VDMABUF_VERSION;
    std::memcpy(h.name, "evil\nname", 9); // a control character
    expect_error(*g, h, VDMABUF_RESP_ERR_MALFORMED, offsetof(vdmabuf_cmd_hello, name) + 4);
    ASSERT_TRUE(g->hello());
    h = testwire::hello_cmd("");
    expect_error(*g, h, VDMABUF_RESP_ERR_MALFORMED, 0); // a second HELLO
    expect_log("ERR_NOT_READY");
    expect_log("ERR_VERSION");
    expect_counter({"daemon", "errors", "NOT_READY"}, 1);
    expect_counter({"daemon", "errors", "VERSION"}, 2);
    expect_counter({"daemon", "errors", "MALFORMED"}, 2);
}

} // namespace
} // namespace vdmabuf::hostile
