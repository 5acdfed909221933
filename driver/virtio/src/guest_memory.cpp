#define VDM_LOG_SCOPE "virtio"
#include <vdmabuf/virtio/guest_memory.hpp>

#include <vdmabuf/shared/log.hpp>

#include <cinttypes>
#include <limits>
#include <fcntl.h>
#include <sys/stat.h>

namespace vdmabuf::virtio {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// [start, start + size) fits in u64 without wrapping (end may equal 2^64 - 1).
bool fits(uint64_t start, uint64_t size) {
    return size <= kU64Max - start;
}

// [addr, addr + len) lies inside [base, base + size); overflow-safe.
bool contains(uint64_t base, uint64_t size, uint64_t addr, uint64_t len) {
    if (addr < base)
        return false;
    uint64_t off = addr - base;
    return off < size && len <= size - off;
}

} // namespace

bool GuestMemory::add_region(const vhost_user::MemoryRegion& desc, UniqueFd&& fd) {
    const uint64_t gpa = desc.guest_phys_addr;
    const uint64_t size = desc.memory_size;
    if (count_ >= kMaxRegions) {
        VDM_WARN("memory region gpa 0x%" PRIx64 ": already %d regions", gpa, count_);
        return false;
    }
    if (!fd) {
        VDM_WARN("memory region gpa 0x%" PRIx64 ": no fd", gpa);
        return false;
    }
    if (size == 0 || !fits(gpa, size) || !fits(desc.userspace_addr, size) ||
        !fits(desc.mmap_offset, size) ||
        desc.mmap_offset + size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
        VDM_WARN("memory region gpa 0x%" PRIx64 " size 0x%" PRIx64 " uva 0x%" PRIx64
                 " offset 0x%" PRIx64 ": invalid range",
                 gpa, size, desc.userspace_addr, desc.mmap_offset);
        return false;
    }
    for (int i = 0; i < count_; ++i) {
        const Region& r = regions_[i];
        if (gpa < r.gpa + r.size && r.gpa < gpa + size) {
            VDM_WARN("memory region gpa 0x%" PRIx64 " size 0x%" PRIx64
                     " overlaps region %d (gpa 0x%" PRIx64 " size 0x%" PRIx64 ")",
                     gpa, size, i, r.gpa, r.size);
            return false;
        }
    }

    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) {
        VDM_ERRNO("memory region gpa 0x%" PRIx64 ": fstat", gpa);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        VDM_WARN("memory region gpa 0x%" PRIx64 ": fd is not a regular file or memfd", gpa);
        return false;
    }
    // Mapping past EOF would SIGBUS on first access.
    const uint64_t map_len = desc.mmap_offset + size;
    if (st.st_size < 0 || map_len > static_cast<uint64_t>(st.st_size)) {
        VDM_WARN("memory region gpa 0x%" PRIx64 ": offset 0x%" PRIx64 " + size 0x%" PRIx64
                 " beyond file size 0x%llx",
                 gpa, desc.mmap_offset, size, static_cast<unsigned long long>(st.st_size));
        return false;
    }
    // A file the front-end could still shrink would SIGBUS us on the next ring or
    // buffer access: demand a memfd sealed with F_SEAL_SHRINK (QEMU's
    // memory-backend-memfd and our virtio-user set it). A plain file cannot be
    // sealed, so it is refused too.
    int seals = ::fcntl(fd.get(), F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
        VDM_WARN("memory region gpa 0x%" PRIx64 ": %s", gpa,
                 seals < 0 ? "not a memfd (cannot be sealed against shrinking)"
                           : "memfd is not sealed against shrinking");
        return false;
    }
    if (map_len > std::numeric_limits<size_t>::max()) {
        VDM_WARN("memory region gpa 0x%" PRIx64 ": too large to map", gpa);
        return false;
    }

    MemoryMapping mapping = MemoryMapping::map_shared(fd.get(), static_cast<size_t>(map_len));
    if (!mapping)
        return false;

    Region& r = regions_[count_++];
    r.gpa = gpa;
    r.size = size;
    r.uva = desc.userspace_addr;
    r.mmap_offset = desc.mmap_offset;
    r.fd = std::move(fd);
    r.mapping = std::move(mapping);
    VDM_DEBUG("memory region %d: gpa 0x%" PRIx64 " size 0x%" PRIx64 " uva 0x%" PRIx64
              " offset 0x%" PRIx64,
              count_ - 1, r.gpa, r.size, r.uva, r.mmap_offset);
    return true;
}

int GuestMemory::match(const vhost_user::MemoryRegion& desc) const {
    for (int i = 0; i < count_; ++i) {
        const Region& r = regions_[i];
        if (r.gpa == desc.guest_phys_addr && r.size == desc.memory_size &&
            r.uva == desc.userspace_addr)
            return i;
    }
    return -1;
}

bool GuestMemory::remove_region(const vhost_user::MemoryRegion& desc) {
    const int i = match(desc);
    if (i < 0) {
        VDM_WARN("memory region gpa 0x%" PRIx64 " size 0x%" PRIx64 " uva 0x%" PRIx64
                 ": no such region to remove",
                 desc.guest_phys_addr, desc.memory_size, desc.userspace_addr);
        return false;
    }
    VDM_DEBUG("memory region %d removed: gpa 0x%" PRIx64 " size 0x%" PRIx64, i,
              regions_[i].gpa, regions_[i].size);
    // Keep the array dense; moving a Region keeps its mapping and fd number.
    for (int j = i; j + 1 < count_; ++j)
        regions_[j] = std::move(regions_[j + 1]);
    regions_[--count_] = Region{}; // unmaps and closes the removed one
    return true;
}

void GuestMemory::clear() {
    for (int i = 0; i < count_; ++i)
        regions_[i] = Region{};
    count_ = 0;
}

int GuestMemory::find(uint64_t addr, uint64_t len, bool by_uva) const {
    for (int i = 0; i < count_; ++i) {
        const Region& r = regions_[i];
        if (contains(by_uva ? r.uva : r.gpa, r.size, addr, len))
            return i;
    }
    return -1;
}

uint8_t* GuestMemory::gpa_to_ptr(uint64_t gpa, uint64_t len) const {
    int i = find(gpa, len, false);
    return i < 0 ? nullptr : regions_[i].host() + (gpa - regions_[i].gpa);
}

uint8_t* GuestMemory::uva_to_ptr(uint64_t uva, uint64_t len) const {
    int i = find(uva, len, true);
    return i < 0 ? nullptr : regions_[i].host() + (uva - regions_[i].uva);
}

std::optional<GuestMemory::FileRange> GuestMemory::gpa_to_file(uint64_t gpa, uint64_t len) const {
    int i = find(gpa, len, false);
    if (i < 0)
        return std::nullopt;
    const Region& r = regions_[i];
    return FileRange{i, r.fd.get(), r.mmap_offset + (gpa - r.gpa)};
}

int GuestMemory::region_fd(int i) const {
    return i >= 0 && i < count_ ? regions_[i].fd.get() : -1;
}

vhost_user::MemoryRegion GuestMemory::region_desc(int i) const {
    if (i < 0 || i >= count_)
        return {};
    const Region& r = regions_[i];
    return {r.gpa, r.size, r.uva, r.mmap_offset};
}

uint64_t GuestMemory::total_size() const {
    uint64_t total = 0;
    for (int i = 0; i < count_; ++i)
        total += regions_[i].size;
    return total;
}

} // namespace vdmabuf::virtio
