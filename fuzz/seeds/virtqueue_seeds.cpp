// Seeds of fuzz/virtqueue.cpp: split-ring memory images.
#include "seed_writer.hpp"

#include <vdmabuf/virtio/driver_queue.hpp>
#include <vdmabuf/virtio/split_ring.hpp>

#include <cstdlib>

namespace vdmabuf::seeds {

namespace {

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

} // namespace

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

} // namespace vdmabuf::seeds
