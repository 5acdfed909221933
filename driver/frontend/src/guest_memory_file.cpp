#define VDM_LOG_SCOPE "guest-mem"
#include "guest_memory_file.hpp"

#include <vdmabuf/shared/log.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::frontend {

std::unique_ptr<GuestMemoryFile> GuestMemoryFile::create(uint64_t size, uint64_t base_gpa) {
    UniqueFd fd{::memfd_create("vdmabuf-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd) {
        VDM_ERRNO("memfd_create");
        return nullptr;
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        VDM_ERRNO("ftruncate guest memory to %llu bytes", static_cast<unsigned long long>(size));
        return nullptr;
    }
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
        VDM_ERRNO("F_ADD_SEALS on guest memory");
        return nullptr;
    }
    Mapping mapping = Mapping::map(fd.get(), size, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (!mapping)
        return nullptr;
    return std::unique_ptr<GuestMemoryFile>(
        new GuestMemoryFile(std::move(fd), std::move(mapping), base_gpa));
}

} // namespace vdmabuf::frontend
