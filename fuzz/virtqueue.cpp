// libFuzzer target: DeviceQueue chain walking over a fuzzed guest-memory image.
// The input picks the queue size, features, ring addresses and base, then is
// the content of guest memory (two adjacent memfd regions, like QEMU's RAM
// split around a hole): descriptor loops, out-of-range indices and heads,
// indirect tables (nested, misaligned, oversized), lengths beyond the regions
// or the limits. Every chain popped is read and written in full, as ctrlq does.
//
// Input: u8 log2 num, u8 flags (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 small
// limits), u32 desc/avail/used offsets from the first region's uva, u16 base,
// then the memory image (region A then region B).
#include "support/fuzz_input.hpp"

#include <vdmabuf/shared/unique_fd.hpp>
#include <vdmabuf/virtio/chain.hpp>
#include <vdmabuf/virtio/device_queue.hpp>
#include <vdmabuf/virtio/guest_memory.hpp>
#include <vdmabuf/virtio/memory_mapping.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using namespace vdmabuf;
namespace vu = virtio::vhost_user;

constexpr uint64_t kGpaA = 0x10000, kSizeA = 0x10000;
constexpr uint64_t kGpaB = kGpaA + kSizeA, kSizeB = 0x4000;
constexpr uint64_t kUvaA = 0x7f00'0000'0000, kUvaB = kUvaA + kSizeA;

struct Region {
    UniqueFd fd;
    virtio::MemoryMapping map; // the driver's view, for filling in the image
};

Region make_region(uint64_t size) {
    Region r;
    r.fd.reset(::memfd_create("fuzz-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!r.fd || ::ftruncate(r.fd.get(), static_cast<off_t>(size)) != 0 ||
        ::fcntl(r.fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        std::abort();
    r.map = virtio::MemoryMapping::map_shared(r.fd.get(), size);
    if (!r.map)
        std::abort();
    return r;
}

struct World {
    Region a = make_region(kSizeA);
    Region b = make_region(kSizeB);
    virtio::GuestMemory mem;
    std::vector<uint8_t> scratch = std::vector<uint8_t>(size_t{1} << 20);

    World() {
        if (!mem.add_region({kGpaA, kSizeA, kUvaA, 0}, UniqueFd{::dup(a.fd.get())}) ||
            !mem.add_region({kGpaB, kSizeB, kUvaB, 0}, UniqueFd{::dup(b.fd.get())}))
            std::abort();
    }
};

World& world() {
    static World* w = new World;
    return *w;
}

void fill(const Region& r, uint64_t size, fuzz::FuzzInput& in) {
    const auto image = in.bytes(size);
    std::memcpy(r.map.data(), image.data(), image.size());
    std::memset(r.map.data() + image.size(), 0, size - image.size());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet_logs();
    (void)world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    World& w = world();
    const uint32_t num = uint32_t{1} << (in.u8() % 16);
    const uint8_t flags = in.u8();
    const uint64_t desc = kUvaA + in.u32();
    const uint64_t avail = kUvaA + in.u32();
    const uint64_t used = kUvaA + in.u32();
    const uint16_t base = in.u16();
    fill(w.a, kSizeA, in);
    fill(w.b, kSizeB, in);

    virtio::DeviceQueueLimits limits;
    if (flags & 4) { // the ctrlq's tighter limits
        limits.max_readable = 64 * 1024;
        limits.max_writable = 4096;
        limits.max_indirect = 64;
    }
    virtio::DeviceQueue q(limits);
    q.set_base(base);
    if (!q.configure(w.mem, num, desc, avail, used, flags & 1, flags & 2))
        return 0;
    q.enable(true);
    virtio::Chain chain;
    for (int i = 0; i < 512; ++i) {
        const virtio::PopResult r = q.pop(chain);
        if (r == virtio::PopResult::empty) {
            if (q.enable_notifications())
                continue;
            break;
        }
        if (r == virtio::PopResult::broken_queue)
            break;
        if (r == virtio::PopResult::bad_chain) {
            q.push(chain.head(), 0);
            continue;
        }
        const size_t got = chain.read(0, w.scratch.data(), w.scratch.size());
        if (got != chain.readable_len())
            std::abort(); // read() must see exactly the bytes pop() accounted for
        (void)chain.write(w.scratch.data(), std::min<size_t>(got, chain.writable_len()));
        q.push(chain);
        if (i == 8 && !q.remap())
            break;
    }
    (void)q.should_notify();
    q.disable_notifications();
    return 0;
}
