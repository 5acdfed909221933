#define VDM_LOG_SCOPE "virtio"
#include <vdmabuf/virtio/memory_mapping.hpp>

#include <vdmabuf/shared/log.hpp>

#include <sys/mman.h>

namespace vdmabuf::virtio {

MemoryMapping MemoryMapping::map_shared(int fd, size_t size, uint64_t offset) {
    MemoryMapping m;
    if (size == 0)
        return m;
    void* p =
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(offset));
    if (p == MAP_FAILED) {
        VDM_ERRNO("mmap(fd %d, size %zu, offset %llu)", fd, size,
                  static_cast<unsigned long long>(offset));
        return m;
    }
    m.data_ = static_cast<uint8_t*>(p);
    m.size_ = size;
    return m;
}

void MemoryMapping::reset() noexcept {
    if (data_)
        ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
}

} // namespace vdmabuf::virtio
