// libFuzzer target: libvdmabuf-host's side of the consumer protocol, against a
// hostile daemon. The input is every packet the "daemon" sends (WELCOME first,
// then events and replies, some with memfds attached), queued on a real
// SOCK_SEQPACKET socket before Client::adopt() runs the handshake; then the
// client imports, asks for stats and dispatches what is left. Replies are
// matched by tag: HELLO is 1, IMPORT 2, STATS 3 (the client counts from 1).
//
// Input: u8 flags (bit 0: import, bit 1: stats, bit 2: close the daemon end
// after the packets, bit 3: map the import, bits 4-5 role), then packets,
// each u8 fd count, u16 length, bytes.
#include "support/fuzz_input.hpp"
#include "support/packets.hpp"

#include <vdmabuf/consumer/client.hpp>

#include <cstdlib>

namespace {

using namespace vdmabuf;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    const uint8_t flags = in.u8();
    UniqueFd daemon, ours;
    if (!fuzz::seqpacket_pair(daemon, ours))
        std::abort();
    for (int n = 0; n < 256 && !in.empty(); ++n) {
        const unsigned nfds = in.u8() % 4;
        if (!fuzz::send_packet(daemon.get(), in.record(), nfds))
            break;
    }
    if (flags & 4)
        daemon.reset();

    constexpr uint32_t kRoles[] = {VDMABUF_ROLE_VIEWER, VDMABUF_ROLE_CONTROL, VDMABUF_ROLE_VIEWER, 0};
    auto client = consumer::Client::adopt(std::move(ours), kRoles[(flags >> 4) & 3], "guest0",
                                          VDMABUF_CONSUMER_ANY, 0);
    if (!client)
        return 0;
    size_t events = 0;
    consumer::Callbacks cb;
    cb.on_guest_new = [&](uint32_t, std::string_view name) { events += name.size(); };
    cb.on_buffer_new = [&](const consumer::BufferInfo& b) { events += b.n_planes; };
    cb.on_present = [&](const consumer::PresentEvent& p) {
        if (p.n_damage > VDMABUF_MAX_DAMAGE)
            std::abort(); // the client promised validated damage
        client->release(p.id, p.sequence);
    };
    cb.on_buffer_gone = [&](const vdmabuf_id&) { ++events; };
    cb.on_error = [&](uint32_t, uint32_t, uint64_t) { ++events; };
    cb.on_disconnect = [&] { ++events; };
    client->set_callbacks(std::move(cb));

    if (flags & 1) {
        auto import = client->import(vdmabuf_id{1, 1, 1}, 0);
        if (import && (flags & 8)) {
            // The viewer reads every byte it mapped: that must never fault.
            if (const uint8_t* p = import->map()) {
                uint8_t sum = 0;
                for (uint64_t i = 0; i < import->size(); i += 512)
                    sum = static_cast<uint8_t>(sum + p[i]);
                events += sum;
            }
        }
    }
    if (flags & 2)
        (void)client->stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_STATS, 0);
    for (int i = 0; i < 64 && client->dispatch() > 0; ++i) {
    }
    if (daemon)
        (void)fuzz::drain_packets(daemon.get());
    return 0;
}
