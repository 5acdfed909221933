#define VDM_LOG_SCOPE "udmabuf"
#include "import/udmabuf_memory.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::viewer {
namespace {

std::string failed(const char* call) {
    return std::string(call) + ": " + std::strerror(errno);
}

} // namespace

std::optional<UdmabufMemory> UdmabufMemory::create(size_t size, std::string* why,
                                                   const char* device) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    size = (size + page - 1) / page * page;
    UdmabufMemory m;
    UniqueFd dev(::open(device, O_RDWR | O_CLOEXEC));
    if (!dev) {
        *why = failed((std::string("open ") + device).c_str());
        return std::nullopt;
    }
    m.memfd_.reset(memfd_create("vdmabuf-viewer-udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!m.memfd_) {
        *why = failed("memfd_create");
        return std::nullopt;
    }
    if (ftruncate(m.memfd_.get(), off_t(size)) < 0) {
        *why = failed("ftruncate");
        return std::nullopt;
    }
    // udmabuf refuses a memfd that could shrink under the pages it pins.
    if (fcntl(m.memfd_.get(), F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
        *why = failed("fcntl(F_ADD_SEALS, F_SEAL_SHRINK)");
        return std::nullopt;
    }
    udmabuf_create create{};
    create.memfd = uint32_t(m.memfd_.get());
    create.flags = UDMABUF_FLAGS_CLOEXEC;
    create.offset = 0;
    create.size = size;
    m.dmabuf_.reset(ioctl(dev.get(), UDMABUF_CREATE, &create));
    if (!m.dmabuf_) {
        *why = failed("ioctl(UDMABUF_CREATE)");
        return std::nullopt;
    }
    m.map_ = Mapping::map(m.memfd_.get(), size, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (!m.map_) {
        *why = "mmap of the memfd failed";
        return std::nullopt;
    }
    return m;
}

} // namespace vdmabuf::viewer
