// vhost-user wire protocol: constants, payload structs and framed message I/O over an
// AF_UNIX SOCK_STREAM socket (QEMU docs/interop/vhost-user.rst). Used by both the
// back-end daemon and the virtio-user front-end. All numbers are native byte order.
#pragma once

#include <vdmabuf/shared/unique_fd.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace vdmabuf::virtio::vhost_user {

enum class Request : uint32_t {
    none = 0,
    get_features = 1,
    set_features = 2,
    set_owner = 3,
    reset_owner = 4,
    set_mem_table = 5,
    set_log_base = 6,
    set_log_fd = 7,
    set_vring_num = 8,
    set_vring_addr = 9,
    set_vring_base = 10,
    get_vring_base = 11,
    set_vring_kick = 12,
    set_vring_call = 13,
    set_vring_err = 14,
    get_protocol_features = 15,
    set_protocol_features = 16,
    get_queue_num = 17,
    set_vring_enable = 18,
    send_rarp = 19,
    net_set_mtu = 20,
    set_backend_req_fd = 21,
    iotlb_msg = 22,
    set_vring_endian = 23,
    get_config = 24,
    set_config = 25,
    reset_device = 34,
    get_max_mem_slots = 36,
    add_mem_reg = 37,
    rem_mem_reg = 38,
    set_status = 39,
    get_status = 40,
};

// Human-readable name for logs; "unknown" for ids not listed above.
[[nodiscard]] const char* request_name(uint32_t request);

// Header flags.
inline constexpr uint32_t kVersion = 0x1;
inline constexpr uint32_t kVersionMask = 0x3;
inline constexpr uint32_t kFlagReply = 0x4;
inline constexpr uint32_t kFlagNeedReply = 0x8;

// Protocol feature bit numbers (GET/SET_PROTOCOL_FEATURES).
namespace protocol_feature {
inline constexpr unsigned kMq = 0;
inline constexpr unsigned kLogShmfd = 1;
inline constexpr unsigned kRarp = 2;
inline constexpr unsigned kReplyAck = 3;
inline constexpr unsigned kMtu = 4;
inline constexpr unsigned kBackendReq = 5;
inline constexpr unsigned kCrossEndian = 6;
inline constexpr unsigned kCryptoSession = 7;
inline constexpr unsigned kPagefault = 8;
inline constexpr unsigned kConfig = 9;
inline constexpr unsigned kBackendSendFd = 10;
inline constexpr unsigned kHostNotifier = 11;
inline constexpr unsigned kInflightShmfd = 12;
inline constexpr unsigned kResetDevice = 13;
inline constexpr unsigned kInbandNotifications = 14;
inline constexpr unsigned kConfigureMemSlots = 15;
inline constexpr unsigned kStatus = 16;
inline constexpr unsigned kXenMmap = 17;
inline constexpr unsigned kSharedObject = 18;
inline constexpr unsigned kDeviceState = 19;
} // namespace protocol_feature

// Virtio (device) feature bit numbers relevant here (GET/SET_FEATURES).
namespace feature {
inline constexpr unsigned kIndirectDesc = 28;     // VIRTIO_RING_F_INDIRECT_DESC
inline constexpr unsigned kEventIdx = 29;         // VIRTIO_RING_F_EVENT_IDX
inline constexpr unsigned kProtocolFeatures = 30; // VHOST_USER_F_PROTOCOL_FEATURES
inline constexpr unsigned kVersion1 = 32;         // VIRTIO_F_VERSION_1
inline constexpr unsigned kAccessPlatform = 33;
inline constexpr unsigned kRingPacked = 34;
inline constexpr unsigned kInOrder = 35;
} // namespace feature

[[nodiscard]] constexpr uint64_t bit(unsigned n) {
    return uint64_t{1} << n;
}

// SET_VRING_KICK/CALL/ERR u64 payload encoding.
inline constexpr uint64_t kVringIndexMask = 0xff;
inline constexpr uint64_t kVringNoFdFlag = 0x100;

inline constexpr uint32_t kMaxFds = 8;
// Regions in one SET_MEM_TABLE message (the wire format's fixed array).
inline constexpr uint32_t kMaxMemRegions = 8;
// Regions a back-end holds with CONFIGURE_MEM_SLOTS (ADD_MEM_REG one at a time);
// answered to GET_MAX_MEM_SLOTS. QEMU accepts any value >= its used slots (x86: it
// needs ~ 2 for RAM plus one per DIMM).
inline constexpr uint32_t kMaxMemSlots = 32;
inline constexpr uint32_t kMaxConfigSize = 256;
// Largest payload accepted. The largest message QEMU sends today is GET/SET_CONFIG
// (12 + 256 bytes); anything above a page is treated as malformed.
inline constexpr uint32_t kMaxPayload = 4096;

struct Header {
    uint32_t request;
    uint32_t flags;
    uint32_t size; // payload bytes that follow
};
static_assert(sizeof(Header) == 12);
static_assert(offsetof(Header, size) == 8);

struct VringState {
    uint32_t index;
    uint32_t num;
};
static_assert(sizeof(VringState) == 8);

// Note the field order: desc, used, avail.
struct VringAddr {
    uint32_t index;
    uint32_t flags; // bit 0: VHOST_VRING_F_LOG
    uint64_t desc_user_addr;
    uint64_t used_user_addr;
    uint64_t avail_user_addr;
    uint64_t log_guest_addr;
};
static_assert(sizeof(VringAddr) == 40);
static_assert(offsetof(VringAddr, desc_user_addr) == 8);
static_assert(offsetof(VringAddr, used_user_addr) == 16);
static_assert(offsetof(VringAddr, avail_user_addr) == 24);
static_assert(offsetof(VringAddr, log_guest_addr) == 32);

struct MemoryRegion {
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t userspace_addr;
    uint64_t mmap_offset;
};
static_assert(sizeof(MemoryRegion) == 32);

// SET_MEM_TABLE. On the wire only 8 + nregions * 32 bytes are sent.
struct MemoryTable {
    uint32_t nregions;
    uint32_t padding;
    MemoryRegion regions[kMaxMemRegions];
};
static_assert(sizeof(MemoryTable) == 8 + 8 * 32);
static_assert(offsetof(MemoryTable, regions) == 8);

// ADD_MEM_REG (one fd) / REM_MEM_REG (no fd; one is tolerated and closed unused).
// REM_MEM_REG identifies the region by guest address, size and user address; its
// mmap_offset is ignored.
struct SingleMemoryRegion {
    uint64_t padding;
    MemoryRegion region;
};
static_assert(sizeof(SingleMemoryRegion) == 40);

// GET_CONFIG / SET_CONFIG: this header, then `size` bytes of config space.
struct ConfigHeader {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
};
static_assert(sizeof(ConfigHeader) == 12);

inline constexpr size_t kMemoryTableHeaderSize = offsetof(MemoryTable, regions);

// One received message. Fixed size, no allocation: reuse one instance per connection.
struct Message {
    Header hdr{};
    alignas(8) uint8_t payload[kMaxPayload]{};
    std::array<UniqueFd, kMaxFds> fds{};
    uint32_t nfds = 0;

    void clear_fds() {
        for (auto& fd : fds)
            fd.reset();
        nfds = 0;
    }
    // Takes ownership of received fd i (empty if none).
    [[nodiscard]] UniqueFd take_fd(uint32_t i) { return i < nfds ? std::move(fds[i]) : UniqueFd{}; }
    // Copies a fixed-size payload out. False unless hdr.size == sizeof(T) exactly.
    template <typename T> [[nodiscard]] bool read_payload(T& out) const {
        static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kMaxPayload);
        if (hdr.size != sizeof(T))
            return false;
        std::memcpy(&out, payload, sizeof(T));
        return true;
    }
};

enum class RecvStatus {
    ok,
    closed,      // orderly EOF at a message boundary
    malformed,   // bad version, oversized, truncated (EOF mid-message) or fds truncated;
                 // the stream is out of sync: drop the connection
    io_error,    // recvmsg/poll failed (errno preserved) or the rest of a message timed out
    would_block, // non-blocking socket and no byte of a new message is available yet
};

[[nodiscard]] const char* recv_status_name(RecvStatus status);

// Assembles messages from a non-blocking socket without ever waiting: a message that
// arrives in pieces is kept (in `msg`) across calls that answer would_block, so a peer
// that sends half a message and stalls costs only its own connection, never the
// caller's event loop. Pass the same Message on every call.
class MessageReader {
public:
    // ok: msg holds a whole message. would_block: nothing more to read now (partial()
    // says whether a message is half received). Other results reset the reader.
    [[nodiscard]] RecvStatus read(int sock, Message& msg);
    [[nodiscard]] bool partial() const { return got_ > 0; }

private:
    [[nodiscard]] RecvStatus finish(Message& msg, RecvStatus status);
    size_t got_ = 0;          // header + payload bytes of the current message
    bool fd_overflow_ = false; // more than kMaxFds fds arrived
    bool ctrunc_ = false;      // the kernel truncated ancillary data
};

// Reads one whole message (header, payload, SCM_RIGHTS fds). Loops over partial reads;
// on a non-blocking socket waits (poll, bounded) for the rest of a started message.
// Any fds received with a rejected message are closed. Previous fds in msg are closed.
// For clients only: a server uses MessageReader, which never waits.
[[nodiscard]] RecvStatus recv_message(int sock, Message& msg);

// Sends header + hdr.size bytes of payload + fds (at most kMaxFds) with MSG_NOSIGNAL.
// Loops over partial writes; on a full non-blocking socket waits (poll, bounded) unless
// may_wait is false (a server: a peer that does not read its replies is broken). False
// (logged) on any error.
[[nodiscard]] bool send_message(int sock, const Header& hdr, const void* payload,
                                std::span<const int> fds = {}, bool may_wait = true);

// Convenience: a reply header (version 1 | REPLY) plus u64 payload.
[[nodiscard]] bool send_reply_u64(int sock, uint32_t request, uint64_t value,
                                  bool may_wait = true);

// Validates a SET_MEM_TABLE message: nregions <= 8, size covers the regions, one fd
// per region. Copies the table out into `out`.
[[nodiscard]] bool parse_memory_table(const Message& msg, MemoryTable& out);

} // namespace vdmabuf::virtio::vhost_user
