// Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small
// valid programs and near-valid variants, built from the real wire structs and
// the real DriverQueue so they follow the layouts the targets expect. Run by
// `scripts/fuzz --seeds`; the output is checked in. Crash reproducers kept as
// regression seeds live beside these (named crash-*) and are not rewritten.
#include "vdmabuf_consumer.h"
#include "vdmabuf_wire.h"

#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/virtio/driver_queue.hpp>
#include <vdmabuf/virtio/split_ring.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <drm_fourcc.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace vdmabuf;
namespace vu = virtio::vhost_user;
using Bytes = std::vector<uint8_t>;

std::string g_root;

struct Out {
    Bytes b;
    template <typename T> Out& put(const T& v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof v);
        return *this;
    }
    Out& u8(uint8_t v) { return put(v); }
    Out& u16(uint16_t v) { return put(v); }
    Out& u32(uint32_t v) { return put(v); }
    Out& u64(uint64_t v) { return put(v); }
    Out& bytes(const void* p, size_t n) {
        const auto* q = static_cast<const uint8_t*>(p);
        b.insert(b.end(), q, q + n);
        return *this;
    }
    Out& bytes(const Bytes& v) { return bytes(v.data(), v.size()); }
    Out& record(const void* p, size_t n) { return u16(static_cast<uint16_t>(n)).bytes(p, n); }
    Out& record(const Bytes& v) { return record(v.data(), v.size()); }
};

template <typename T> Bytes raw(const T& v) {
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

void write_seed(const std::string& target, const std::string& name, const Bytes& bytes) {
    const std::string dir = g_root + "/" + target;
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        std::fprintf(stderr, "make-corpus: cannot write %s\n", path.c_str());
        std::exit(1);
    }
}

// ---- requests (daemon_ctrl, vhost_user) -------------------------------------

constexpr uint64_t kKeyPlaceholder = 0x21594b4521594b45; // as in daemon_ctrl.cpp
constexpr uint32_t kGuestPlaceholder = 0x21545347;

vdmabuf_cmd_hello hello_cmd(const char* name = "guest0") {
    vdmabuf_cmd_hello h{};
    h.hdr = {VDMABUF_CMD_HELLO, 0, 1};
    h.magic = VDMABUF_MAGIC;
    h.version = VDMABUF_VERSION;
    std::memcpy(h.name, name, std::strlen(name));
    return h;
}

// A 64x64 XRGB8888 buffer in `n` extents of 4 KiB pages starting at gpa.
Bytes export_cmd(uint32_t counter, uint64_t gpa, uint32_t n = 4, uint32_t key_guest = 1) {
    vdmabuf_cmd_export c{};
    c.hdr = {VDMABUF_CMD_EXPORT, 0, 10 + counter};
    c.id = {key_guest ? kGuestPlaceholder : 0, counter, key_guest ? kKeyPlaceholder : 0};
    c.fourcc = DRM_FORMAT_XRGB8888;
    c.width = 64;
    c.height = 64;
    c.n_planes = 1;
    c.planes[0] = {0, 256};
    c.size = 16384;
    c.n_extents = n;
    Bytes b = raw(c);
    for (uint32_t i = 0; i < n; ++i) {
        const vdmabuf_extent e{gpa + i * (16384 / n), 16384 / n};
        const Bytes eb = raw(e);
        b.insert(b.end(), eb.begin(), eb.end());
    }
    return b;
}

Bytes present_cmd(uint32_t counter, uint64_t seq, uint32_t output = 0, uint32_t n_damage = 0) {
    vdmabuf_cmd_present p{};
    p.hdr = {VDMABUF_CMD_PRESENT, 0, 100 + seq};
    p.id = {kGuestPlaceholder, counter, kKeyPlaceholder};
    p.output = output;
    p.sequence = seq;
    p.guest_time_ns = 1000 * seq;
    p.n_damage = n_damage;
    for (uint32_t i = 0; i < n_damage && i < VDMABUF_MAX_DAMAGE; ++i)
        p.damage[i] = {i * 4, i * 4, 4, 4};
    return raw(p);
}

Bytes unexport_cmd(uint32_t counter) {
    vdmabuf_cmd_unexport u{};
    u.hdr = {VDMABUF_CMD_UNEXPORT, 0, 200 + counter};
    u.id = {kGuestPlaceholder, counter, kKeyPlaceholder};
    return raw(u);
}

Bytes output_cmd(uint32_t output, uint32_t flags) {
    vdmabuf_cmd_output o{};
    o.hdr = {VDMABUF_CMD_OUTPUT, 0, 300};
    o.output = output;
    o.flags = flags;
    o.width = flags ? 1920 : 0;
    o.height = flags ? 1080 : 0;
    o.refresh_mhz = 60000;
    std::memcpy(o.name, "HEADLESS-1", 10);
    return raw(o);
}

Bytes cursor_set_cmd(uint32_t w, uint32_t h) {
    vdmabuf_cmd_cursor_set c{};
    c.hdr = {VDMABUF_CMD_CURSOR_SET, 0, 400};
    c.width = w;
    c.height = h;
    c.hotspot_x = w / 2;
    c.hotspot_y = h / 2;
    Bytes b = raw(c);
    b.resize(b.size() + size_t{w} * h * 4, 0x80);
    return b;
}

Bytes cursor_move_cmd(int32_t x, int32_t y) {
    vdmabuf_cmd_cursor_move m{};
    m.hdr = {VDMABUF_CMD_CURSOR_MOVE, 0, 401};
    m.x = static_cast<uint32_t>(x);
    m.y = static_cast<uint32_t>(y);
    m.visible = 1;
    return raw(m);
}

// daemon_ctrl: flags, then ops.
struct CtrlProgram {
    Out o;
    explicit CtrlProgram(uint8_t flags) { o.u8(flags); }
    CtrlProgram& req(const Bytes& b, uint8_t shape = 0) {
        o.u8(0).u8(shape).record(b);
        return *this;
    }
    CtrlProgram& events(uint8_t n) {
        o.u8(static_cast<uint8_t>(1 | ((n - 1) << 2)));
        return *this;
    }
    CtrlProgram& release() {
        o.u8(2);
        return *this;
    }
    CtrlProgram& mem_table() {
        o.u8(3);
        return *this;
    }
};

constexpr uint64_t kRigGpa = 0x1'0000'0000;
constexpr uint64_t kBufferArea = kRigGpa + 160 * 1024; // past rings, request and event areas

void daemon_ctrl_seeds() {
    const std::string t = "daemon_ctrl";
    write_seed(t, "hello", CtrlProgram(0).req(raw(hello_cmd())).o.b);
    write_seed(t, "hello-twice", CtrlProgram(1).req(raw(hello_cmd("again"))).o.b);
    write_seed(t, "export-present-release",
               CtrlProgram(3)
                   .events(4)
                   .req(export_cmd(1, kBufferArea))
                   .req(present_cmd(1, 1))
                   .release()
                   .req(present_cmd(1, 2, 0, 2))
                   .req(unexport_cmd(1))
                   .o.b);
    write_seed(t, "two-buffers-unexport-presented",
               CtrlProgram(1)
                   .events(8)
                   .req(export_cmd(1, kBufferArea, 1))
                   .req(export_cmd(2, kBufferArea + 16384, 2), 1)
                   .req(present_cmd(2, 5, 3))
                   .req(unexport_cmd(2))
                   .req(present_cmd(1, 4, 3)) // stale sequence
                   .mem_table()
                   .req(export_cmd(1, kBufferArea, 1))
                   .o.b);
    write_seed(t, "export-overlap-ring", CtrlProgram(1).req(export_cmd(1, kRigGpa, 1)).o.b);
    Bytes short_export = export_cmd(1, kBufferArea);
    short_export.resize(40);
    write_seed(t, "export-short", CtrlProgram(1).req(short_export).o.b);
    write_seed(t, "split-small-response",
               CtrlProgram(1).req(export_cmd(3, kBufferArea, 4), 3 | (2 << 2)).req(present_cmd(3, 1), 2).o.b);
    write_seed(t, "not-ready", CtrlProgram(0).req(present_cmd(1, 1)).o.b);
    write_seed(t, "output-cursor",
               CtrlProgram(1)
                   .events(4)
                   .req(output_cmd(0, VDMABUF_OUTPUT_CONNECTED))
                   .req(cursor_set_cmd(16, 16))
                   .req(cursor_move_cmd(-5, 100))
                   .req(cursor_set_cmd(0, 0))
                   .req(output_cmd(0, 0))
                   .o.b);
}

// ---- vhost_user -------------------------------------------------------------

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

// ---- virtqueue --------------------------------------------------------------

// Memory image of the virtqueue target: region A (64 KiB at gpa 0x10000) then B.
constexpr uint64_t kGpaA = 0x10000;
constexpr size_t kSizeA = 0x10000, kSizeB = 0x4000;

struct QueueImage {
    Bytes mem = Bytes(kSizeA + kSizeB);
    virtio::DriverQueue q;
    uint32_t num;
    bool event_idx;
    QueueImage(uint32_t num_, bool event_idx_) : num(num_), event_idx(event_idx_) {
        if (!q.init(mem.data(), kGpaA, num, event_idx))
            std::exit(1);
    }
    uint32_t off(const uint8_t* p) const { return static_cast<uint32_t>(p - mem.data()); }
    void desc(uint16_t i, virtio::VringDesc d) { std::memcpy(mem.data() + 16 * i, &d, sizeof d); }
    void avail(uint16_t idx, uint16_t slot, uint16_t head) {
        uint8_t* a = q.avail_addr();
        std::memcpy(a + virtio::kAvailIdxOffset, &idx, 2);
        std::memcpy(a + virtio::kAvailRingOffset + 2 * slot, &head, 2);
    }
    Bytes seed(uint8_t flags, uint16_t base = 0) const {
        uint8_t log2 = 0;
        while ((1u << log2) < num)
            ++log2;
        Out o;
        o.u8(log2).u8(static_cast<uint8_t>(flags | (event_idx ? 1 : 0)));
        o.u32(off(q.desc_addr())).u32(off(q.avail_addr())).u32(off(q.used_addr())).u16(base);
        o.bytes(mem);
        // Trailing zeros add nothing: the target zero-fills.
        while (!o.b.empty() && o.b.back() == 0)
            o.b.pop_back();
        return o.b;
    }
};

void virtqueue_seeds() {
    const std::string t = "virtqueue";
    using virtio::Segment;
    {
        QueueImage m(16, true);
        const Segment segs[] = {{kGpaA + 0x4000, 64, false}, {kGpaA + 0x5000, 64, true}};
        (void)m.q.add(segs, 1);
        const Segment three[] = {{kGpaA + 0x6000, 100, false}, {kGpaA + 0x6100, 28, false},
                                 {kGpaA + 0x7000, 4096, true}};
        (void)m.q.add(three, 2);
        m.q.publish();
        write_seed(t, "two-chains", m.seed(0));
        write_seed(t, "two-chains-ctrl-limits", m.seed(4));
    }
    {
        QueueImage m(8, false);
        const Segment s{kGpaA + 0x4000, 16, true};
        for (uint32_t i = 0; i < 8; ++i)
            (void)m.q.add({&s, 1}, i);
        m.q.publish();
        write_seed(t, "full-ring", m.seed(0));
        write_seed(t, "avail-ahead", m.seed(0, 0x8000)); // base far behind idx
    }
    {
        QueueImage m(16, true);
        // desc 0: an indirect table of three descriptors at 0x8000.
        m.desc(0, {kGpaA + 0x8000, 48, virtio::kDescFIndirect, 0});
        const virtio::VringDesc table[] = {{kGpaA + 0x4000, 32, virtio::kDescFNext, 1},
                                           {kGpaA + 0x4100, 32, virtio::kDescFNext, 2},
                                           {kGpaA + 0x5000, 64, virtio::kDescFWrite, 0}};
        std::memcpy(m.mem.data() + 0x8000, table, sizeof table);
        m.avail(1, 0, 0);
        write_seed(t, "indirect", m.seed(2));
        write_seed(t, "indirect-not-negotiated", m.seed(0));
        // Nested: the indirect table's first entry is indirect again.
        virtio::VringDesc nested = {kGpaA + 0x8000, 48, virtio::kDescFIndirect, 0};
        std::memcpy(m.mem.data() + 0x8000, &nested, sizeof nested);
        write_seed(t, "indirect-nested", m.seed(2));
    }
    {
        QueueImage m(16, false);
        m.desc(0, {kGpaA + 0x4000, 16, virtio::kDescFNext, 1});
        m.desc(1, {kGpaA + 0x4100, 16, virtio::kDescFNext, 0});
        m.avail(1, 0, 0);
        write_seed(t, "loop", m.seed(0));
        m.desc(1, {kGpaA + 0x4100, 16, virtio::kDescFNext, 40});
        write_seed(t, "next-out-of-range", m.seed(0));
        m.desc(1, {kGpaA + kSizeA - 8, 16, virtio::kDescFWrite, 0}); // crosses into region B
        write_seed(t, "across-regions", m.seed(0));
        m.desc(1, {kGpaA, 0xffffffff, virtio::kDescFWrite, 0});
        write_seed(t, "huge-length", m.seed(0));
        m.desc(0, {kGpaA + 0x4000, 16, virtio::kDescFWrite | virtio::kDescFNext, 1});
        m.desc(1, {kGpaA + 0x4100, 16, 0, 0});
        write_seed(t, "readable-after-writable", m.seed(0));
        m.avail(1, 0, 99);
        write_seed(t, "head-out-of-range", m.seed(0));
    }
}

// ---- guest_wire -------------------------------------------------------------

void guest_wire_seeds() {
    const std::string t = "guest_wire";
    vdmabuf_resp_hello h{};
    h.hdr = {VDMABUF_RESP_OK_HELLO, 0, 7};
    h.magic = VDMABUF_MAGIC;
    h.version = VDMABUF_VERSION;
    h.guest = 3;
    h.max_buffers = 64;
    h.key = 0x55;
    h.max_extents = VDMABUF_MAX_EXTENTS;
    h.max_damage = VDMABUF_MAX_DAMAGE;
    h.max_outputs = VDMABUF_MAX_OUTPUTS;
    write_seed(t, "resp-hello", Out().u8(0).u32(VDMABUF_CMD_HELLO).u64(7).u8(1).bytes(raw(h)).b);
    vdmabuf_resp r{};
    r.hdr = {VDMABUF_RESP_ERR_INVALID_ID, 0, 9};
    r.request = VDMABUF_CMD_PRESENT;
    r.detail = 16;
    write_seed(t, "resp-error", Out().u8(0).u32(VDMABUF_CMD_PRESENT).u64(9).u8(1).bytes(raw(r)).b);
    r.hdr = {VDMABUF_RESP_OK, 0, 9};
    write_seed(t, "resp-ok-raw", Out().u8(0).u32(VDMABUF_CMD_EXPORT).u64(1).u8(0).bytes(raw(r)).b);

    vdmabuf_evt_release rel{};
    rel.hdr = {VDMABUF_EVT_RELEASE, 0, 0};
    rel.id = {3, 1, 0x55};
    rel.sequence = 4;
    write_seed(t, "evt-release", Out().u8(1).u32(3).u64(0x55).bytes(raw(rel)).b);
    vdmabuf_evt_refresh ref{};
    ref.hdr = {VDMABUF_EVT_REFRESH, 0, 0};
    ref.output = VDMABUF_OUTPUT_ALL;
    write_seed(t, "evt-refresh", Out().u8(1).u32(3).u64(0x55).bytes(raw(ref)).b);
    vdmabuf_evt_input in{};
    in.hdr = {VDMABUF_EVT_INPUT, 0, 0};
    write_seed(t, "evt-input", Out().u8(1).u32(3).u64(0x55).bytes(raw(in)).b);
    vdmabuf_evt_keymap km{};
    km.hdr = {VDMABUF_EVT_KEYMAP, 0, 0};
    write_seed(t, "evt-keymap", Out().u8(1).u32(3).u64(0x55).bytes(raw(km)).b);
    vdmabuf_evt_mode mode{};
    mode.hdr = {VDMABUF_EVT_MODE, 0, 0};
    write_seed(t, "evt-mode", Out().u8(1).u32(3).u64(0x55).bytes(raw(mode)).b);
    vdmabuf_evt_hotplug hp{};
    hp.hdr = {VDMABUF_EVT_HOTPLUG, 0, 0};
    write_seed(t, "evt-hotplug", Out().u8(1).u32(3).u64(0x55).bytes(raw(hp)).b);

    // Used ring: three chains, the device returns 2, 1 and a bogus id.
    Out u;
    u.u8(2).u8(1).u8(3);
    u.u8(1).u16(63).u8(2).u16(4095).u8(0).u16(0);
    Bytes used(virtio::used_size(16, true));
    const uint16_t idx = 3;
    std::memcpy(used.data() + virtio::kUsedIdxOffset, &idx, 2);
    const virtio::VringUsedElem elems[] = {{2, 100}, {0, 64}, {9, 1}};
    std::memcpy(used.data() + virtio::kUsedRingOffset, elems, sizeof elems);
    u.bytes(used).u8(8);
    write_seed(t, "used-ring", u.b);
}

// ---- consumer protocol ------------------------------------------------------

template <typename T> T with_hdr(uint32_t type, uint64_t tag) {
    T v{};
    v.hdr = {type, sizeof(T), tag};
    return v;
}

void consumer_daemon_seeds() {
    const std::string t = "consumer_daemon";
    auto hello = with_hdr<vdmabuf_c_hello>(VDMABUF_C_HELLO, 1);
    hello.magic = VDMABUF_CONSUMER_MAGIC;
    hello.version = VDMABUF_CONSUMER_VERSION;
    hello.role = VDMABUF_ROLE_VIEWER;
    hello.output = VDMABUF_CONSUMER_ANY;
    auto control = hello;
    control.role = VDMABUF_ROLE_CONTROL;
    auto import = with_hdr<vdmabuf_c_import>(VDMABUF_C_IMPORT, 2);
    import.id = {1, 2, 0x1234abcd5678ef01};
    auto release = with_hdr<vdmabuf_c_release>(VDMABUF_C_RELEASE, 3);
    release.id = {1, 1, 0x1234abcd5678ef01};
    release.sequence = 1;
    auto stats = with_hdr<vdmabuf_c_stats>(VDMABUF_C_STATS, 4);
    stats.format = VDMABUF_C_STATS_JSON;
    stats.what = VDMABUF_C_WHAT_LIST;
    auto event = with_hdr<vdmabuf_c_guest_event>(VDMABUF_C_GUEST_EVENT, 5);
    event.guest = 1;
    vdmabuf_evt_mode mode{};
    mode.hdr = {VDMABUF_EVT_MODE, 0, 0};
    std::memcpy(event.event, &mode, sizeof mode);

    auto packet = [](unsigned consumer, unsigned nfds = 0) {
        return static_cast<uint8_t>(0 | (consumer << 2) | (nfds << 4));
    };
    const uint8_t present1 = 1 | (1 << 2), present1_out2 = 1 | (1 << 2) | (2 << 4);
    Out o;
    o.u8(packet(0)).record(&hello, sizeof hello);
    o.u8(packet(1)).record(&control, sizeof control);
    o.u8(present1).u8(present1_out2);
    o.u8(packet(0)).record(&import, sizeof import);
    o.u8(packet(0)).record(&release, sizeof release);
    o.u8(packet(1)).record(&stats, sizeof stats);
    stats.what = VDMABUF_C_WHAT_STATS;
    stats.format = VDMABUF_C_STATS_TEXT;
    o.u8(packet(0)).record(&stats, sizeof stats);
    o.u8(packet(0)).record(&event, sizeof event);
    o.u8(2 | (3 << 2));      // unexport buffer 3
    o.u8(3 | 16);            // timeout sweep
    o.u8(3 | (0 << 2));      // consumer 0 hangs up
    write_seed(t, "viewer-control", o.b);

    Out bad;
    bad.u8(packet(0)).record(&release, sizeof release);                 // before HELLO
    bad.u8(packet(0, 2)).record(&hello, sizeof hello);                  // with fds
    bad.u8(packet(0)).record(&import, 12);                              // truncated
    hello.version = 99;
    bad.u8(packet(2)).record(&hello, sizeof hello);
    write_seed(t, "malformed", bad.b);
}

void consumer_client_seeds() {
    const std::string t = "consumer_client";
    auto welcome = with_hdr<vdmabuf_c_welcome>(VDMABUF_C_WELCOME, 1);
    welcome.magic = VDMABUF_CONSUMER_MAGIC;
    welcome.version = VDMABUF_CONSUMER_VERSION;
    welcome.consumer = 1;
    welcome.import_mode = VDMABUF_IMPORT_MEMFD;
    auto guest = with_hdr<vdmabuf_c_guest>(VDMABUF_C_GUEST_NEW, 0);
    guest.guest = 1;
    std::memcpy(guest.name, "guest0", 6);
    auto buffer = with_hdr<vdmabuf_c_buffer_new>(VDMABUF_C_BUFFER_NEW, 0);
    buffer.id = {1, 1, 1};
    buffer.fourcc = DRM_FORMAT_XRGB8888;
    buffer.width = buffer.height = 64;
    buffer.n_planes = 1;
    buffer.planes[0] = {0, 256};
    buffer.size = 16384;
    auto present = with_hdr<vdmabuf_c_present>(VDMABUF_C_PRESENT, 0);
    present.id = {1, 1, 1};
    present.sequence = 1;
    present.n_damage = 1;
    present.damage[0] = {0, 0, 8, 8};
    auto gone = with_hdr<vdmabuf_c_buffer_gone>(VDMABUF_C_BUFFER_GONE, 0);
    gone.id = {1, 1, 1};
    auto guest_gone = guest;
    guest_gone.hdr.type = VDMABUF_C_GUEST_GONE;
    auto error = with_hdr<vdmabuf_c_error>(VDMABUF_C_ERROR, 99);
    error.request = VDMABUF_C_RELEASE;
    error.code = VDMABUF_C_ERR_NOT_HELD;

    auto reply = with_hdr<vdmabuf_c_import_reply>(VDMABUF_C_IMPORT_REPLY, 2);
    reply.id = {1, 1, 1};
    reply.mode = VDMABUF_IMPORT_MEMFD;
    reply.n_fds = 2;
    reply.size = 16384;
    reply.n_extents = 2;
    const vdmabuf_c_import_extent ext[] = {{0, 0, 0, 8192}, {1, 0, 4096, 8192}};
    Bytes import = raw(reply);
    const Bytes eb = raw(ext);
    import.insert(import.end(), eb.begin(), eb.end());
    import.resize(sizeof reply + sizeof ext);
    {
        auto* h = reinterpret_cast<vdmabuf_c_hdr*>(import.data());
        h->size = static_cast<uint32_t>(import.size());
    }
    const char text[] = "guests 1\n";
    auto stats = with_hdr<vdmabuf_c_stats_reply>(VDMABUF_C_STATS_REPLY, 3);
    stats.format = VDMABUF_C_STATS_TEXT;
    stats.length = sizeof text - 1;
    stats.hdr.size = static_cast<uint32_t>(sizeof stats + stats.length);
    Bytes stats_pkt = raw(stats);
    stats_pkt.insert(stats_pkt.end(), text, text + stats.length);

    auto out = with_hdr<vdmabuf_c_output>(VDMABUF_C_OUTPUT, 0);
    out.guest = 1;
    out.flags = VDMABUF_OUTPUT_CONNECTED;
    out.width = 1920;
    out.height = 1080;

    Out o;
    o.u8(1 | 2 | 8);
    o.u8(0).record(&welcome, sizeof welcome);
    o.u8(2).record(import);
    o.u8(0).record(stats_pkt);
    o.u8(0).record(&guest, sizeof guest);
    o.u8(0).record(&buffer, sizeof buffer);
    o.u8(0).record(&present, sizeof present);
    o.u8(0).record(&out, sizeof out);
    o.u8(0).record(&error, sizeof error);
    o.u8(0).record(&gone, sizeof gone);
    o.u8(0).record(&guest_gone, sizeof guest_gone);
    write_seed(t, "session", o.b);

    Out closed;
    closed.u8(4);
    closed.u8(0).record(&welcome, sizeof welcome);
    closed.u8(1).record(&present, sizeof present); // an fd where none belongs
    present.n_damage = 40;
    closed.u8(0).record(&present, sizeof present);
    closed.u8(0).record(&buffer, 20);
    write_seed(t, "malformed-then-gone", closed.b);

    Out err;
    err.u8(1);
    err.u8(0).record(&welcome, sizeof welcome);
    error.hdr.tag = 2;
    error.request = VDMABUF_C_IMPORT;
    error.code = VDMABUF_C_ERR_UNKNOWN_BUFFER;
    err.u8(0).record(&error, sizeof error);
    write_seed(t, "import-error", err.b);
}

// ---- png_read ---------------------------------------------------------------

void png_seeds() {
    // Real PNGs from our own writer (8-bit RGBA), small and odd-sized.
    std::filesystem::create_directories(g_root + "/png_read");
    for (auto [w, h, fourcc] : {std::tuple{1u, 1u, DRM_FORMAT_ARGB8888}, std::tuple{17u, 5u, DRM_FORMAT_XRGB8888}}) {
        Image img;
        img.width = w;
        img.height = h;
        img.stride = w * 4;
        img.fourcc = fourcc;
        img.pixels.resize(size_t{img.stride} * h);
        for (size_t i = 0; i < img.pixels.size(); ++i)
            img.pixels[i] = static_cast<uint8_t>(i * 37);
        const std::string path = g_root + "/png_read/" + std::to_string(w) + "x" + std::to_string(h) + ".png";
        if (!write_png(path.c_str(), img))
            std::exit(1);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    virtqueue_seeds();
    vhost_user_seeds();
    daemon_ctrl_seeds();
    guest_wire_seeds();
    consumer_daemon_seeds();
    consumer_client_seeds();
    png_seeds();
    return 0;
}
