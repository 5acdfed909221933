#define VDM_LOG_SCOPE "mmap"
#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/log.hpp>

#include <sys/mman.h>

namespace vdmabuf {

Mapping Mapping::map(int fd, size_t len, off_t off, int prot, int flags) {
    if (len == 0) {
        VDM_ERROR("mmap(fd %d) refused: zero length", fd);
        return {};
    }
    void* p = ::mmap(nullptr, len, prot, flags, fd, off);
    if (p == MAP_FAILED) {
        VDM_ERRNO("mmap(fd %d, len %zu, off %lld) failed", fd, len, static_cast<long long>(off));
        return {};
    }
    return Mapping{p, len};
}

void Mapping::reset() noexcept {
    void* p = std::exchange(ptr_, nullptr);
    size_t len = std::exchange(size_, 0);
    if (p && ::munmap(p, len) != 0)
        VDM_ERRNO("munmap(%p, %zu) failed", p, len);
}

} // namespace vdmabuf
