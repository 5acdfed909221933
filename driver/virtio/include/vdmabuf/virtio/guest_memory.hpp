// Device-side view of the front-end's memory (SET_MEM_TABLE / ADD_MEM_REG): up to
// kMaxMemSlots (32) regions, each an fd mapped MAP_SHARED, translating guest-physical addresses (used in
// descriptors) and front-end user virtual addresses (used for the ring addresses) to
// host pointers. Every translation is bounds- and overflow-checked: addresses come from
// the guest. Not thread-safe.
#pragma once

#include <vdmabuf/shared/unique_fd.hpp>
#include <vdmabuf/virtio/memory_mapping.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <array>
#include <cstdint>
#include <optional>

namespace vdmabuf::virtio {

class GuestMemory {
public:
    static constexpr int kMaxRegions = static_cast<int>(vhost_user::kMaxMemSlots);

    // Where a guest range lives in a region's file: offset = mmap_offset + (gpa - region gpa).
    struct FileRange {
        int region;
        int fd; // borrowed; valid while the region exists
        uint64_t offset;
    };

    GuestMemory() = default;
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    // Validates the descriptor (size > 0, no overflow of gpa/uva/mmap_offset + size, no
    // gpa overlap with existing regions, fd valid, region within the file) and maps it.
    // Logs and returns false on failure; the memory is unchanged then.
    [[nodiscard]] bool add_region(const vhost_user::MemoryRegion& desc, UniqueFd&& fd);
    // REM_MEM_REG: unmaps and closes the region with the same gpa, size and uva
    // (mmap_offset is ignored, as the spec says). False (logged) if there is none.
    // Pointers and fds obtained from that region are dangling afterwards: the caller
    // drops what uses them first (region_index() says which region a range is in).
    bool remove_region(const vhost_user::MemoryRegion& desc);
    // Index of the region remove_region(desc) would remove, or -1.
    [[nodiscard]] int match(const vhost_user::MemoryRegion& desc) const;
    void clear();

    // Host pointer for [gpa, gpa + len) when it lies entirely inside one region, else
    // nullptr. len == 0 still requires gpa inside a region.
    [[nodiscard]] uint8_t* gpa_to_ptr(uint64_t gpa, uint64_t len) const;
    // Same for front-end user virtual addresses (vring addresses in SET_VRING_ADDR).
    [[nodiscard]] uint8_t* uva_to_ptr(uint64_t uva, uint64_t len) const;
    [[nodiscard]] std::optional<FileRange> gpa_to_file(uint64_t gpa, uint64_t len) const;

    [[nodiscard]] int region_count() const { return count_; }
    // Borrowed fd of region i; -1 when out of range.
    [[nodiscard]] int region_fd(int i) const;
    // The region's descriptor as received; zeroed when out of range.
    [[nodiscard]] vhost_user::MemoryRegion region_desc(int i) const;
    // Sum of region sizes (guest-visible bytes, excluding mmap_offset).
    [[nodiscard]] uint64_t total_size() const;

private:
    struct Region {
        uint64_t gpa = 0;
        uint64_t size = 0;
        uint64_t uva = 0;
        uint64_t mmap_offset = 0;
        UniqueFd fd;
        MemoryMapping mapping; // covers [0, mmap_offset + size) of the file
        [[nodiscard]] uint8_t* host() const { return mapping.data() + mmap_offset; }
    };

    // Index of the region containing [addr, addr + len) in the space selected by
    // `by_uva`, or -1.
    [[nodiscard]] int find(uint64_t addr, uint64_t len, bool by_uva) const;

    std::array<Region, kMaxRegions> regions_{};
    int count_ = 0;
};

} // namespace vdmabuf::virtio
