// Hostile ADD_MEM_REG / REM_MEM_REG (CONFIGURE_MEM_SLOTS): payloads of the wrong
// size, missing or extra fds, fds that are not sealed memfds, ranges that wrap,
// overlap or pass the end of the file, more regions than GET_MAX_MEM_SLOTS,
// removals of regions that do not exist, the feature not negotiated; and the
// legitimate but dangerous ones: removing the region a live (presented) buffer
// is in, and the region holding the rings. Every bad message is refused (ack 1)
// and logged, the connection stays, the honest guest keeps presenting, and a
// removed region is unmapped and its fd closed at once.
#include "fixture.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace vdmabuf::hostile {
namespace {

constexpr uint64_t kDimmGpa = 0x2'0000'0000;
constexpr uint64_t kDimmSize = 1 << 20;
constexpr uint64_t kDimmUva = 0x7e00'0000'0000;

UniqueFd dimm_memfd(uint64_t size = kDimmSize, unsigned seals = F_SEAL_SHRINK) {
    UniqueFd fd{::memfd_create("hostile-dimm", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        return {};
    if (seals && ::fcntl(fd.get(), F_ADD_SEALS, seals) != 0)
        return {};
    return fd;
}

// The ack of an ADD/REM_MEM_REG with `size` payload bytes (40 is right).
std::optional<uint64_t> mem_reg(RawGuest& g, vu::Request req, const vu::MemoryRegion& r,
                                std::vector<int> fds, uint32_t size = 40) {
    uint8_t raw[64] = {};
    const vu::SingleMemoryRegion m{0, r};
    std::memcpy(raw, &m, sizeof m);
    return g.acked(req, raw, size, fds);
}

bool enable_mem_slots(RawGuest& g) {
    const uint64_t ack = vu::bit(vu::protocol_feature::kReplyAck) |
                         vu::bit(vu::protocol_feature::kConfigureMemSlots);
    if (!g.send(vu::Request::get_max_mem_slots, nullptr, 0))
        return false;
    const auto slots = g.reply_u64(vu::Request::get_max_mem_slots);
    return slots && *slots == vu::kMaxMemSlots &&
           g.send(vu::Request::set_protocol_features, &ack, sizeof ack);
}

class MemSlots : public Hostile {
protected:
    // Mappings of "hostile-dimm" memfds in vdmabufd.
    static size_t dimm_maps() {
        std::ifstream maps("/proc/" + std::to_string(daemon().pid()) + "/maps");
        std::stringstream s;
        s << maps.rdbuf();
        size_t n = 0;
        for (size_t at = s.str().find("memfd:hostile-dimm"); at != std::string::npos;
             at = s.str().find("memfd:hostile-dimm", at + 1))
            ++n;
        return n;
    }
    static void expect_ack(std::optional<uint64_t> ack, uint64_t want) {
        ASSERT_TRUE(ack) << "no ack";
        EXPECT_EQ(*ack, want);
    }
};

TEST_F(MemSlots, BadAddMessages) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(enable_mem_slots(*g));
    UniqueFd fd = dimm_memfd();
    ASSERT_TRUE(fd);
    const vu::MemoryRegion good{kDimmGpa, kDimmSize, kDimmUva, 0};
    const auto add = vu::Request::add_mem_reg;
    expect_ack(mem_reg(*g, add, good, {fd.get()}, 32), 1);                   // payload short
    expect_ack(mem_reg(*g, add, good, {fd.get()}, 48), 1);                   // payload long
    expect_ack(mem_reg(*g, add, good, {}), 1);                               // no fd
    expect_ack(mem_reg(*g, add, good, {fd.get(), fd.get()}), 1);             // two fds
    expect_ack(mem_reg(*g, add, {kDimmGpa, 0, kDimmUva, 0}, {fd.get()}), 1); // empty
    expect_ack(mem_reg(*g, add, {~0ull - 4095, kDimmSize, kDimmUva, 0}, {fd.get()}), 1);
    expect_ack(mem_reg(*g, add, {kDimmGpa, kDimmSize, ~0ull - 4095, 0}, {fd.get()}), 1);
    expect_ack(mem_reg(*g, add, {kDimmGpa, kDimmSize, kDimmUva, ~0ull - 4095}, {fd.get()}), 1);
    expect_ack(mem_reg(*g, add, {kDimmGpa, kDimmSize, kDimmUva, 4096}, {fd.get()}), 1); // past EOF
    expect_ack(mem_reg(*g, add, {RawGuest::kGpa + 4096, 4096, kDimmUva, 0}, {fd.get()}), 1);
    UniqueFd unsealed = dimm_memfd(kDimmSize, 0);
    expect_ack(mem_reg(*g, add, good, {unsealed.get()}), 1);
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    expect_ack(mem_reg(*g, add, good, {p[0]}), 1);
    ::close(p[0]);
    ::close(p[1]);
    // Up to 32 regions in all (the SET_MEM_TABLE one included), not one more.
    for (uint64_t i = 0; i + 1 < vu::kMaxMemSlots; ++i)
        ASSERT_NO_FATAL_FAILURE(expect_ack(
            mem_reg(*g, add, {kDimmGpa + i * 0x8000, 0x8000, kDimmUva + i * 0x8000, i * 0x8000},
                    {fd.get()}),
            0));
    expect_ack(mem_reg(*g, add, {kDimmGpa + kDimmSize, 4096, kDimmUva + kDimmSize, 0}, {fd.get()}),
               1);
    EXPECT_EQ(dimm_maps(), vu::kMaxMemSlots - 1);
    // Still served.
    EXPECT_TRUE(g->export_ok(1));
    expect_log("ADD_MEM_REG: payload of 32 bytes, expected 40");
    expect_log("ADD_MEM_REG: 0 fds, expected 1");
    expect_log("ADD_MEM_REG: 2 fds, expected 1");
    expect_log("beyond file size");
    expect_log("overlaps region 0");
    expect_log("memfd is not sealed against shrinking");
    expect_log("already 32 regions");
    expect_counter({"daemon", "bad_vhost_messages"}, 13);
}

TEST_F(MemSlots, BadRemoveMessages) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(enable_mem_slots(*g));
    UniqueFd fd = dimm_memfd();
    const vu::MemoryRegion good{kDimmGpa, kDimmSize, kDimmUva, 0};
    const auto rem = vu::Request::rem_mem_reg;
    expect_ack(mem_reg(*g, vu::Request::add_mem_reg, good, {fd.get()}), 0);
    expect_ack(mem_reg(*g, rem, {kDimmGpa, kDimmSize / 2, kDimmUva, 0}, {}), 1);
    expect_ack(mem_reg(*g, rem, {kDimmGpa, kDimmSize, kDimmUva + 4096, 0}, {}), 1);
    expect_ack(mem_reg(*g, rem, {kDimmGpa + 4096, kDimmSize - 4096, kDimmUva + 4096, 0}, {}), 1);
    expect_ack(mem_reg(*g, rem, {~0ull, ~0ull, ~0ull, ~0ull}, {}), 1);
    expect_ack(mem_reg(*g, rem, good, {}, 8), 1);
    expect_ack(mem_reg(*g, rem, good, {fd.get(), fd.get()}), 1);
    EXPECT_EQ(dimm_maps(), 1u);
    // One fd is tolerated and closed unused: the pipe's read end sees EOF.
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    expect_ack(mem_reg(*g, rem, good, {p[1]}), 0);
    ::close(p[1]);
    char c;
    EXPECT_EQ(::read(p[0], &c, 1), 0);
    ::close(p[0]);
    EXPECT_EQ(dimm_maps(), 0u);                // unmapped at once, not at disconnect
    expect_ack(mem_reg(*g, rem, good, {}), 1); // twice
    EXPECT_TRUE(g->export_ok(1));
    expect_log("REM_MEM_REG: no region gpa 0x200000000 size 0x80000");
    expect_log("REM_MEM_REG: 2 fds, expected none");
    expect_counter({"daemon", "bad_vhost_messages"}, 7);
}

TEST_F(MemSlots, NotNegotiated) {
    RawGuest* g = attacker(); // REPLY_ACK only
    ASSERT_TRUE(g);
    UniqueFd fd = dimm_memfd();
    const vu::MemoryRegion good{kDimmGpa, kDimmSize, kDimmUva, 0};
    expect_ack(mem_reg(*g, vu::Request::add_mem_reg, good, {fd.get()}), 1);
    expect_ack(mem_reg(*g, vu::Request::rem_mem_reg,
                       {RawGuest::kGpa, g->memory_size(), g->uva(RawGuest::kGpa), 0}, {}),
               1);
    EXPECT_EQ(dimm_maps(), 0u);
    EXPECT_TRUE(g->export_ok(1));
    expect_log("CONFIGURE_MEM_SLOTS was not negotiated");
    expect_counter({"daemon", "bad_vhost_messages"}, 2);
}

// A presented buffer in an added region: REM_MEM_REG retires it before unmapping
// (its ID is gone) and the other buffers stay.
TEST_F(MemSlots, RemovingTheRegionOfALiveBufferRetiresIt) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(enable_mem_slots(*g));
    UniqueFd fd = dimm_memfd();
    const vu::MemoryRegion dimm{kDimmGpa, kDimmSize, kDimmUva, 0};
    expect_ack(mem_reg(*g, vu::Request::add_mem_reg, dimm, {fd.get()}), 0);
    ExportRequest e = g->valid_export(1);
    e.extents[0].addr = kDimmGpa + 0x10000;
    auto r = g->request(e.bytes());
    ASSERT_TRUE(r && r->resp.hdr.type == VDMABUF_RESP_OK);
    ASSERT_TRUE(g->export_ok(2));
    r = g->request(g->present_cmd(1, 0, 1));
    ASSERT_TRUE(r && r->resp.hdr.type == VDMABUF_RESP_OK);
    expect_ack(mem_reg(*g, vu::Request::rem_mem_reg, dimm, {}), 0);
    EXPECT_EQ(dimm_maps(), 0u);
    expect_error(*g, g->present_cmd(1, 0, 2), VDMABUF_RESP_ERR_INVALID_ID,
                 offsetof(vdmabuf_cmd_present, id.counter));
    r = g->request(g->present_cmd(2, 0, 3));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->resp.hdr.type, VDMABUF_RESP_OK);
    // (Whether buffer 1 was still held by the auto-releasing viewer at the removal
    // is up to the viewer: backend-mem-slots covers the in-flight case exactly.)
    // The range is not guest memory any more.
    r = g->request(e.bytes());
    ASSERT_TRUE(r);
    EXPECT_NE(r->resp.hdr.type, VDMABUF_RESP_OK);
    expect_log("removed with 1 buffers in it; retired them");
    expect_counter({"daemon", "retired"}, 1);
}

// The rings live in the SET_MEM_TABLE region: removing it stops them (no access
// to the unmapped rings; requests go unanswered), adding it back restarts them.
TEST_F(MemSlots, RemovingTheRingsRegionStopsThemUntilItReturns) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(enable_mem_slots(*g));
    const vu::MemoryRegion main{RawGuest::kGpa, g->memory_size(), g->uva(RawGuest::kGpa), 0};
    expect_ack(mem_reg(*g, vu::Request::rem_mem_reg, main, {}), 0);
    const auto before = g->used_idx(VDMABUF_VQ_CTRL);
    g->kick(VDMABUF_VQ_CTRL);
    EXPECT_FALSE(g->wait_used(VDMABUF_VQ_CTRL, static_cast<uint16_t>(before + 1), 300));
    expect_ack(mem_reg(*g, vu::Request::add_mem_reg, main, {g->mem_fd()}), 0);
    EXPECT_TRUE(g->export_ok(1));
    expect_log("vring 1 is no longer inside guest memory");
}

} // namespace
} // namespace vdmabuf::hostile
