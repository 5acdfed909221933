// libFuzzer target: vdmabufd's side of the consumer protocol (ConsumerConnection
// parsing and HubCore acting on it: HELLO, IMPORT with the guest-memory fds,
// RELEASE of held presentations, STATS, and what wire6 adds) against hostile
// consumers on real SOCK_SEQPACKET sockets. A guest with four exported buffers
// presents frames between the packets, so RELEASE has something to let go of.
//
// Input: ops, kind = op & 3:
//   0 packet from consumer (op >> 2) & 3: u16 length, bytes; (op >> 4) & 3 memfds;
//   1 the guest presents buffer (op >> 2) & 3 on output (op >> 4) & 3;
//   2 the guest unexports buffer (op >> 2) & 3, or exports it again;
//   3 consumer (op >> 2) & 3 hangs up and reconnects, or (op & 16) the release
//     timeout sweep runs as if an hour had passed.
#include "support/fuzz_input.hpp"
#include "support/packets.hpp"

#include "hub/guest_port.hpp"
#include "hub/hub_core.hpp"

#include <vdmabuf/shared/event_loop.hpp>
#include <vdmabuf/shared/time.hpp>

#include <drm_fourcc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdlib>

namespace {

using namespace vdmabuf;
using backend::Buffer;
using backend::BufferId;

constexpr uint64_t kKey = 0x1234abcd5678ef01;
constexpr uint32_t kBuffers = 4;
constexpr uint64_t kBufferSize = 16384;

class Guest final : public backend::GuestPort {
public:
    Guest() : memfd_(::memfd_create("fuzz-guest", MFD_CLOEXEC)) {
        if (!memfd_ || ::ftruncate(memfd_.get(), kBuffers * kBufferSize) != 0)
            std::abort();
    }
    uint32_t id() const override { return 1; }
    const std::string& name() const override { return name_; }
    const Buffer* find_buffer(const BufferId& id) const override {
        for (const Buffer& b : buffers_)
            if (b.id == id && live_[id.counter])
                return &b;
        return nullptr;
    }
    void for_each_buffer(const std::function<void(const Buffer&)>& fn) const override {
        for (const Buffer& b : buffers_)
            if (live_[b.id.counter])
                fn(b);
    }
    void release(const BufferId& id, uint64_t, uint32_t, uint32_t) override {
        if (id.counter >= kBuffers || !busy_[id.counter])
            std::abort(); // a release the hub did not owe
        busy_[id.counter] = false;
    }
    void refresh(uint32_t) override {}
    // Every device feature, so GUEST_EVENT gets past negotiation to the queueing.
    uint64_t features() const override {
        return 1u << VDMABUF_F_INPUT | 1u << VDMABUF_F_MODE | 1u << VDMABUF_F_CURSOR |
               1u << VDMABUF_F_HOTPLUG;
    }
    void queue_event(const void* event, size_t len) override {
        if (len > VDMABUF_EVENT_SIZE || (len && !event))
            std::abort(); // the hub promised a validated event
    }
    const backend::GuestCounters& counters() const override { return counters_; }
    size_t presentations_in_flight() const override { return 0; }

    Buffer& make(uint32_t counter) {
        Buffer& b = buffers_[counter];
        b.id = {1, counter, kKey};
        b.fourcc = DRM_FORMAT_XRGB8888;
        b.width = 64;
        b.height = 64;
        b.n_planes = 1;
        b.planes[0] = {0, 256};
        b.size = kBufferSize;
        b.extents = {{memfd_.get(), counter * kBufferSize, kBufferSize}};
        live_[counter] = true;
        return b;
    }

    std::array<bool, kBuffers> live_{};
    std::array<bool, kBuffers> busy_{};

private:
    UniqueFd memfd_;
    std::string name_ = "guest0";
    std::array<Buffer, kBuffers> buffers_{};
    backend::GuestCounters counters_;
};

struct World {
    std::unique_ptr<EventLoop> loop = EventLoop::create();
    std::unique_ptr<backend::HubCore> hub;
    Guest guest;
    std::array<UniqueFd, 4> consumers;
    uint64_t sequence = 0;

    World() {
        if (!loop)
            std::abort();
        backend::HubOptions opts;
        opts.try_udmabuf = false;
        hub = backend::HubCore::create(*loop, opts);
        if (!hub)
            std::abort();
        hub->guest_added(guest);
        for (uint32_t i = 0; i < kBuffers; ++i)
            hub->buffer_added(guest, guest.make(i));
        for (unsigned i = 0; i < consumers.size(); ++i)
            connect(i);
    }
    ~World() {
        hub->guest_removed(guest);
        hub->shutdown();
    }

    void connect(unsigned i) {
        UniqueFd theirs;
        if (!fuzz::seqpacket_pair(consumers[i], theirs) || hub->adopt_consumer(std::move(theirs)) == 0)
            std::abort();
    }
    void pump() {
        for (int round = 0; round < 32; ++round) {
            const int ran = loop->dispatch(0);
            size_t read = 0;
            for (const UniqueFd& c : consumers)
                read += fuzz::drain_packets(c.get());
            if (ran <= 0 && read == 0)
                return;
        }
    }
    void present(uint32_t counter, uint32_t output) {
        if (!guest.live_[counter] || guest.busy_[counter])
            return; // a real guest presents only buffers it owns
        backend::Presentation p;
        p.id = {1, counter, kKey};
        p.output = output;
        p.sequence = ++sequence;
        p.host_time_ns = now_ns();
        guest.busy_[counter] = true;
        hub->presented(guest, p);
    }
    void toggle(uint32_t counter) {
        if (guest.live_[counter]) {
            if (guest.busy_[counter])
                return; // the device refuses UNEXPORT while presented
            hub->buffer_removed(guest, guest.make(counter));
            guest.live_[counter] = false;
        } else {
            hub->buffer_added(guest, guest.make(counter));
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    World w;
    for (int ops = 0; ops < 256 && !in.empty(); ++ops) {
        const uint8_t op = in.u8();
        const unsigned which = (op >> 2) & 3;
        switch (op & 3) {
        case 0: (void)fuzz::send_packet(w.consumers[which].get(), in.record(), (op >> 4) & 3); break;
        case 1: w.present(which, (op >> 4) & 3); break;
        case 2: w.toggle(which); break;
        default:
            if (op & 16)
                w.hub->sweep_timeouts(now_ns() + 3600ull * 1'000'000'000);
            else {
                w.consumers[which].reset();
                w.pump();
                w.connect(which);
            }
        }
        w.pump();
    }
    return 0;
}
