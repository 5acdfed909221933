// Seeds of fuzz/vhost_user.cpp: vhost-user message programs, guest RAM and kicks.
#include "requests.hpp"

#include <vdmabuf/virtio/driver_queue.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <algorithm>
#include <cstdlib>

namespace vdmabuf::seeds {

namespace {

namespace vu = virtio::vhost_user;

constexpr uint64_t kRigUva = 0x7f00'0000'0000;
constexpr size_t kRigMem = 256 * 1024;

struct VhostProgram {
    Out o;
    // fd kinds as in vhost_user.cpp attach_fds.
    VhostProgram& msg(vu::Request req, const Bytes& payload, unsigned nfds = 0, unsigned kind = 0,
                      uint32_t flags = vu::kVersion) {
        o.u8(static_cast<uint8_t>((nfds << 2) | (kind << 5)))
            .u32(static_cast<uint32_t>(req))
            .u32(flags)
            .record(payload);
        return *this;
    }
    VhostProgram& raw_bytes(const Bytes& b) {
        o.u8(1).record(b);
        return *this;
    }
    VhostProgram& ram(uint32_t offset, const uint8_t* p, size_t n) {
        o.u8(2).u32(offset).record(p, n);
        return *this;
    }
    VhostProgram& kick(uint32_t q, bool release = false) {
        o.u8(static_cast<uint8_t>(3 | (q << 2) | (release ? 8 : 0)));
        return *this;
    }
};

Bytes u64b(uint64_t v) {
    return raw(v);
}

Bytes mem_table(uint32_t n, uint64_t gpa = kRigGpa, uint64_t size = kRigMem, uint64_t uva = kRigUva,
                uint64_t off = 0) {
    vu::MemoryTable t{};
    t.nregions = n;
    for (uint32_t i = 0; i < n && i < vu::kMaxMemRegions; ++i)
        t.regions[i] = {gpa + i * size, size, uva + i * size, off};
    Bytes b = raw(t);
    b.resize(vu::kMemoryTableHeaderSize + sizeof(vu::MemoryRegion) * std::min(n, vu::kMaxMemRegions));
    return b;
}

// Guest RAM as the driver lays it out: both rings, a HELLO and an EXPORT.
struct Ram {
    std::vector<uint8_t> mem = std::vector<uint8_t>(kRigMem);
    virtio::DriverQueue q[2];
    static constexpr uint32_t kNum = 16;
    explicit Ram(bool event_idx) {
        for (uint32_t i = 0; i < 2; ++i)
            if (!q[i].init(mem.data() + i * 4096, kRigGpa + i * 4096, kNum, event_idx))
                std::exit(1);
    }
    uint64_t uva(const uint8_t* p) const { return kRigUva + static_cast<uint64_t>(p - mem.data()); }
    // Puts a request at `at` and its response space after it on the ctrlq.
    void ctrl(uint32_t at, const Bytes& req, uint32_t token) {
        std::memcpy(mem.data() + at, req.data(), req.size());
        const virtio::Segment segs[] = {{kRigGpa + at, static_cast<uint32_t>(req.size()), false},
                                        {kRigGpa + at + 0x2000, 64, true}};
        if (!q[VDMABUF_VQ_CTRL].add(segs, token))
            std::exit(1);
        q[VDMABUF_VQ_CTRL].publish();
    }
    void event_buffers(uint32_t n) {
        for (uint32_t i = 0; i < n; ++i) {
            const virtio::Segment s{kRigGpa + 0x30000 + i * 64, 64, true};
            if (!q[VDMABUF_VQ_EVENT].add({&s, 1}, 100 + i))
                std::exit(1);
        }
        q[VDMABUF_VQ_EVENT].publish();
    }
};

VhostProgram handshake(const Ram& ram, bool event_idx) {
    VhostProgram p;
    const uint64_t features = vu::bit(vu::feature::kVersion1) | vu::bit(vu::feature::kProtocolFeatures) |
                              vu::bit(vu::feature::kIndirectDesc) | vu::bit(VDMABUF_F_INPUT) |
                              vu::bit(VDMABUF_F_MODE) | vu::bit(VDMABUF_F_CURSOR) | vu::bit(VDMABUF_F_HOTPLUG) |
                              (event_idx ? vu::bit(vu::feature::kEventIdx) : 0);
    p.msg(vu::Request::get_features, {});
    p.msg(vu::Request::set_features, u64b(features));
    p.msg(vu::Request::get_protocol_features, {});
    p.msg(vu::Request::set_protocol_features,
          u64b(vu::bit(vu::protocol_feature::kReplyAck) | vu::bit(vu::protocol_feature::kConfig)));
    p.msg(vu::Request::set_owner, {});
    p.msg(vu::Request::get_max_mem_slots, {});
    p.msg(vu::Request::set_mem_table, mem_table(1), 1, 0, vu::kVersion | vu::kFlagNeedReply);
    for (uint32_t i = 0; i < 2; ++i) {
        p.msg(vu::Request::set_vring_num, raw(vu::VringState{i, Ram::kNum}));
        p.msg(vu::Request::set_vring_base, raw(vu::VringState{i, 0}));
        const vu::VringAddr addr{i, 0, ram.uva(ram.q[i].desc_addr()), ram.uva(ram.q[i].used_addr()),
                                 ram.uva(ram.q[i].avail_addr()), 0};
        p.msg(vu::Request::set_vring_addr, raw(addr), 0, 0, vu::kVersion | vu::kFlagNeedReply);
        p.msg(vu::Request::set_vring_kick, u64b(i), 1, 1 + i);
        p.msg(vu::Request::set_vring_call, u64b(i), 1, 3 + i);
        p.msg(vu::Request::set_vring_enable, raw(vu::VringState{i, 1}));
    }
    return p;
}

} // namespace

void vhost_user_seeds() {
    const std::string t = "vhost_user";
    for (bool event_idx : {true, false}) {
        Ram ram(event_idx);
        VhostProgram p = handshake(ram, event_idx);
        const std::string sfx = event_idx ? "" : "-no-event-idx";
        write_seed(t, "handshake" + sfx, p.o.b);

        ram.event_buffers(4);
        ram.ctrl(0x10000, raw(hello_cmd()), 1);
        p.ram(0, ram.mem.data(), 0x2000).ram(0x10000, ram.mem.data() + 0x10000, 0x100);
        p.kick(VDMABUF_VQ_EVENT).kick(VDMABUF_VQ_CTRL);
        write_seed(t, "handshake-hello" + sfx, p.o.b);

        // The guest id and key are not known here: EXPORT fails validation
        // unless the fuzzer finds them; it still walks the chain.
        ram.ctrl(0x14000, export_cmd(1, kRigGpa + 0x20000, 2, 0), 2);
        p.ram(0x1000, ram.mem.data() + 0x1000, 0x1000).ram(0x14000, ram.mem.data() + 0x14000, 0x100);
        p.kick(VDMABUF_VQ_CTRL, true);
        p.msg(vu::Request::get_vring_base, raw(vu::VringState{1, 0}));
        p.msg(vu::Request::set_mem_table, mem_table(2, kRigGpa, kRigMem / 2), 2, 0);
        p.msg(vu::Request::reset_device, {});
        write_seed(t, "handshake-export-reset" + sfx, p.o.b);
    }

    Ram ram(true);
    write_seed(t, "mem-table-bad-fds",
               VhostProgram().msg(vu::Request::set_mem_table, mem_table(2), 2, 5).o.b);
    write_seed(t, "mem-table-fd-count",
               VhostProgram().msg(vu::Request::set_mem_table, mem_table(3), 1, 0).o.b);
    write_seed(t, "mem-table-beyond-file",
               VhostProgram().msg(vu::Request::set_mem_table, mem_table(1, kRigGpa, kRigMem * 2), 1, 0).o.b);
    write_seed(t, "mem-table-overlap",
               VhostProgram()
                   .msg(vu::Request::set_mem_table, mem_table(1), 1, 0)
                   .msg(vu::Request::add_mem_reg, [] {
                       vu::SingleMemoryRegion r{};
                       r.region = {kRigGpa + 4096, 4096, kRigUva + 4096, 0};
                       return raw(r);
                   }(), 1, 0)
                   .msg(vu::Request::rem_mem_reg, [] {
                       vu::SingleMemoryRegion r{};
                       r.region = {kRigGpa, kRigMem, kRigUva, 0};
                       return raw(r);
                   }(), 1, 0)
                   .o.b);
    write_seed(t, "config", VhostProgram()
                                .msg(vu::Request::get_config, [] {
                                    Bytes b = raw(vu::ConfigHeader{0, 16, 0});
                                    b.resize(b.size() + 16);
                                    return b;
                                }())
                                .msg(vu::Request::set_config, raw(vu::ConfigHeader{0, 4, 0}))
                                .msg(vu::Request::set_status, u64b(15))
                                .msg(vu::Request::get_status, {})
                                .o.b);
    // Framing: a header announcing more than is sent, then a truncated header.
    write_seed(t, "truncated", VhostProgram()
                                   .raw_bytes(raw(vu::Header{1, vu::kVersion, 64}))
                                   .raw_bytes(Bytes{1, 0, 0})
                                   .o.b);
    write_seed(t, "oversized",
               VhostProgram().raw_bytes(raw(vu::Header{5, vu::kVersion, vu::kMaxPayload + 1})).o.b);
    write_seed(t, "vring-bad-index", VhostProgram()
                                         .msg(vu::Request::set_vring_num, raw(vu::VringState{7, 16}))
                                         .msg(vu::Request::set_vring_kick, u64b(0x100 | 1), 0)
                                         .msg(vu::Request::set_vring_call, u64b(9), 1, 6)
                                         .o.b);
}

} // namespace vdmabuf::seeds
