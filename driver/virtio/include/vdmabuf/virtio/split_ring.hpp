// Virtio 1.x split virtqueue layout (virtio spec 2.7, linux/virtio_ring.h). Fields are
// little-endian on the wire; this project only targets little-endian hosts, so the
// le* aliases document intent and the static_assert below enforces the assumption.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vdmabuf::virtio {

static_assert(std::endian::native == std::endian::little,
              "split ring fields are little-endian and accessed natively");

using le16 = uint16_t;
using le32 = uint32_t;
using le64 = uint64_t;

inline constexpr uint16_t kDescFNext = 1;
inline constexpr uint16_t kDescFWrite = 2;
inline constexpr uint16_t kDescFIndirect = 4;
inline constexpr uint16_t kAvailFNoInterrupt = 1; // avail->flags: driver asks for no calls
inline constexpr uint16_t kUsedFNoNotify = 1;     // used->flags: device asks for no kicks

inline constexpr uint32_t kMaxQueueSize = 32768;
inline constexpr size_t kDescAlign = 16;
inline constexpr size_t kAvailAlign = 2;
inline constexpr size_t kUsedAlign = 4;

struct VringDesc {
    le64 addr; // guest-physical
    le32 len;
    le16 flags;
    le16 next;
};
static_assert(sizeof(VringDesc) == 16);
static_assert(offsetof(VringDesc, next) == 14);

struct VringUsedElem {
    le32 id;  // head descriptor index
    le32 len; // bytes written by the device
};
static_assert(sizeof(VringUsedElem) == 8);

// Avail ring: le16 flags; le16 idx; le16 ring[num]; le16 used_event (EVENT_IDX).
inline constexpr size_t kAvailFlagsOffset = 0;
inline constexpr size_t kAvailIdxOffset = 2;
inline constexpr size_t kAvailRingOffset = 4;
// Used ring: le16 flags; le16 idx; VringUsedElem ring[num]; le16 avail_event (EVENT_IDX).
inline constexpr size_t kUsedFlagsOffset = 0;
inline constexpr size_t kUsedIdxOffset = 2;
inline constexpr size_t kUsedRingOffset = 4;

[[nodiscard]] constexpr bool is_valid_queue_size(uint32_t num) {
    return num > 0 && num <= kMaxQueueSize && (num & (num - 1)) == 0;
}
[[nodiscard]] constexpr size_t desc_table_size(uint32_t num) {
    return size_t{16} * num;
}
[[nodiscard]] constexpr size_t avail_size(uint32_t num, bool event_idx) {
    return 4 + size_t{2} * num + (event_idx ? 2 : 0);
}
[[nodiscard]] constexpr size_t used_size(uint32_t num, bool event_idx) {
    return 4 + size_t{8} * num + (event_idx ? 2 : 0);
}
[[nodiscard]] constexpr size_t used_event_offset(uint32_t num) {
    return 4 + size_t{2} * num;
}
[[nodiscard]] constexpr size_t avail_event_offset(uint32_t num) {
    return 4 + size_t{8} * num;
}

// True when an event index in (old_idx, new_idx] equals event_idx + 1, i.e. the other
// side asked to be notified once the index passes event_idx. All maths mod 2^16.
[[nodiscard]] constexpr bool vring_need_event(uint16_t event_idx, uint16_t new_idx,
                                              uint16_t old_idx) {
    return static_cast<uint16_t>(new_idx - event_idx - 1) <
           static_cast<uint16_t>(new_idx - old_idx);
}

// Accessors for ring fields in memory shared with the other side. Plain loads of
// shared data go through these so the compiler cannot re-read or tear them.
namespace ring {
[[nodiscard]] inline uint16_t load_acquire(const uint8_t* p) {
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_ACQUIRE);
}
[[nodiscard]] inline uint16_t load16(const uint8_t* p) {
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_RELAXED);
}
[[nodiscard]] inline uint32_t load32(const uint8_t* p) {
    return __atomic_load_n(reinterpret_cast<const uint32_t*>(p), __ATOMIC_RELAXED);
}
inline void store_release(uint8_t* p, uint16_t v) {
    __atomic_store_n(reinterpret_cast<uint16_t*>(p), v, __ATOMIC_RELEASE);
}
inline void store16(uint8_t* p, uint16_t v) {
    __atomic_store_n(reinterpret_cast<uint16_t*>(p), v, __ATOMIC_RELAXED);
}
inline void store32(uint8_t* p, uint32_t v) {
    __atomic_store_n(reinterpret_cast<uint32_t*>(p), v, __ATOMIC_RELAXED);
}
// Copies one descriptor out of shared memory. memcpy: indirect tables need not be
// aligned, and the caller only ever looks at the copy.
[[nodiscard]] inline VringDesc load_desc(const uint8_t* p) {
    VringDesc d;
    std::memcpy(&d, p, sizeof d);
    return d;
}
inline void store_desc(uint8_t* p, const VringDesc& d) {
    std::memcpy(p, &d, sizeof d);
}
inline void full_fence() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
} // namespace ring

} // namespace vdmabuf::virtio
