// libFuzzer target: what libvdmabuf-guest parses from the device, which it does
// not trust either: ctrlq responses (parse_response, parse_hello), eventq events
// (parse_event), and the used ring of its own virtqueue (DriverQueue::get_used:
// ids, lengths and index jumps written by the device).
//
// Input: u8 mode.
//   mode % 3 == 0: u32 request type, u64 tag, u8 check_echo, then the response;
//   mode % 3 == 1: u32 guest, u64 key, then the event;
//   mode % 3 == 2: u8 chains to add (each: u8 segments, u16 writable length),
//     then bytes written over the used ring, then u8 reaps.
#include "support/fuzz_input.hpp"
#include "wire_parse.hpp"

#include <vdmabuf/virtio/driver_queue.hpp>
#include <vdmabuf/virtio/split_ring.hpp>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using namespace vdmabuf;

void responses(fuzz::FuzzInput& in) {
    const uint32_t type = in.u32();
    const uint64_t tag = in.u64();
    const bool check_echo = in.u8() & 1;
    const auto bytes = in.bytes(in.remaining());
    // A private copy of exactly the used length, as the driver makes.
    const std::vector<uint8_t> copy(bytes.begin(), bytes.end());
    const auto len = static_cast<uint32_t>(copy.size());
    const frontend::ParsedResponse r = frontend::parse_response(copy.data(), len, type, tag, check_echo);
    if (r.status == frontend::ResponseStatus::ok && type == VDMABUF_CMD_HELLO) {
        frontend::HelloInfo info;
        if (frontend::parse_hello(copy.data(), len, info) && (info.max_buffers == 0 || info.max_extents == 0))
            std::abort(); // parse_hello promised non-zero limits
    }
}

void events(fuzz::FuzzInput& in) {
    const uint32_t guest = in.u32();
    const uint64_t key = in.u64();
    const auto bytes = in.bytes(in.remaining());
    const std::vector<uint8_t> copy(bytes.begin(), bytes.end());
    const frontend::ParsedEvent e =
        frontend::parse_event(copy.data(), static_cast<uint32_t>(copy.size()), guest, key);
    if (e.kind == frontend::EventKind::release &&
        (e.release.id.guest != guest || e.release.id.key != key))
        std::abort(); // another session's RELEASE must be invalid
}

void used_ring(fuzz::FuzzInput& in) {
    constexpr uint32_t kNum = 16;
    constexpr uint64_t kGpa = 0x100000;
    alignas(4096) static uint8_t ring[8192];
    std::memset(ring, 0, sizeof ring);
    virtio::DriverQueue q;
    if (!q.init(ring, kGpa, kNum, in.u8() & 1))
        std::abort();
    std::vector<uint64_t> writable(kNum + 1, 0); // by token
    std::vector<bool> reaped(kNum + 1, false);
    const unsigned chains = in.u8() % (kNum + 1);
    for (uint32_t token = 1; token <= chains; ++token) {
        const unsigned nsegs = 1 + in.u8() % 4;
        const uint32_t wlen = in.u16();
        virtio::Segment segs[4];
        for (unsigned s = 0; s < nsegs; ++s)
            segs[s] = {0x200000 + token * 0x10000 + s * 0x1000, s + 1 == nsegs ? wlen + 1 : 16u,
                       s + 1 == nsegs};
        if (q.add({segs, nsegs}, token))
            writable[token] = wlen + 1;
        else
            reaped[token] = true; // never in flight
    }
    q.publish();
    (void)q.kick_needed();
    // The device's part: whatever it writes into the used ring.
    uint8_t* used = q.used_addr();
    const auto dev = in.bytes(virtio::used_size(kNum, true));
    std::memcpy(used, dev.data(), dev.size());
    const unsigned reaps = in.u8();
    for (unsigned i = 0; i < reaps; ++i) {
        uint32_t token = 0, len = 0;
        if (!q.get_used(token, len)) {
            if (!q.enable_interrupts())
                break;
            continue;
        }
        // A token never added or already reaped, or more than the chain could hold.
        if (token == 0 || token > chains || reaped[token] || len > writable[token])
            std::abort();
        reaped[token] = true;
    }
    q.disable_interrupts();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    switch (in.u8() % 3) {
    case 0: responses(in); break;
    case 1: events(in); break;
    default: used_ring(in);
    }
    return 0;
}
