// libFuzzer target: vdmabufd's vhost-user back-end (GuestSession over a real
// socket, on a real ConsumerHub with a viewer attached). The input is a program
// of front-end operations: messages with any header, payload and fds (the guest
// RAM memfd, the kick/call eventfds, a socket, a pipe), raw bytes that break
// the framing, writes into guest RAM (rings, descriptors, requests) and kicks.
// So SET_MEM_TABLE / ADD_MEM_REG region tables, vring setup and everything the
// rings lead to (chain walking, ctrlq requests, eventq) are reached from here.
//
// Each op is one byte: kind = op & 3.
//   0 message: u32 request, u32 flags, u16 payload length, payload; fds: op
//     bits 2-4 count (0-7), bits 5-7 kind (see attach_fds);
//   1 raw: u16 length, bytes (a header with any size field, a truncation);
//   2 ram: u32 offset, u16 length, bytes copied into guest RAM;
//   3 kick queue (op >> 2) & 1; op bit 3: the viewer releases what it holds.
#include "support/daemon_rig.hpp"
#include "support/fuzz_input.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace {

using namespace vdmabuf;

// Fds of the chosen kind, owned by the target until sent (the daemon gets dups).
// Kinds: 0 guest RAM memfd, 1/2 kick eventfd of queue 0/1, 3/4 call eventfd of
// queue 0/1, 5 a socket, 6 a pipe, 7 /dev/null. The first fd has the op's kind,
// the next ones the kinds after it.
std::vector<UniqueFd> attach_fds(fuzz::DaemonRig& rig, uint8_t op) {
    const unsigned count = (op >> 2) & 7;
    const unsigned kind = op >> 5;
    std::vector<UniqueFd> fds;
    for (unsigned i = 0; i < count; ++i) {
        int fd = -1;
        switch ((kind + i) % 8) {
        case 0: fd = ::dup(rig.ram_fd()); break;
        case 1: fd = ::dup(rig.kick_fd(0)); break;
        case 2: fd = ::dup(rig.kick_fd(1)); break;
        case 3: fd = ::dup(rig.call_fd(0)); break;
        case 4: fd = ::dup(rig.call_fd(1)); break;
        case 5: {
            int sv[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
                ::close(sv[1]);
                fd = sv[0];
            }
            break;
        }
        case 6: {
            int p[2];
            if (::pipe2(p, O_CLOEXEC) == 0) {
                ::close(p[1]);
                fd = p[0];
            }
            break;
        }
        default: fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        }
        fds.emplace_back(fd);
    }
    return fds;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    fuzz::DaemonRig rig;
    for (int ops = 0; ops < 256 && !in.empty() && !rig.closed(); ++ops) {
        const uint8_t op = in.u8();
        switch (op & 3) {
        case 0: {
            const uint32_t request = in.u32();
            const uint32_t flags = in.u32();
            const auto payload = in.record();
            std::vector<UniqueFd> fds = attach_fds(rig, op);
            std::vector<int> raw;
            for (const UniqueFd& fd : fds)
                raw.push_back(fd.get());
            (void)rig.send(request, flags, payload.data(), static_cast<uint32_t>(payload.size()), raw);
            break;
        }
        case 1: (void)rig.send_raw(in.record()); break;
        case 2: {
            const uint32_t offset = in.u32() % fuzz::DaemonRig::kMemSize;
            const auto bytes = in.record();
            std::memcpy(rig.ram() + offset, bytes.data(),
                        std::min(bytes.size(), fuzz::DaemonRig::kMemSize - offset));
            break;
        }
        default:
            if (op & 8)
                rig.release_all();
            rig.kick((op >> 2) & 1);
        }
    }
    rig.pump();
    return 0;
}
