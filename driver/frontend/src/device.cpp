#define VDM_LOG_SCOPE "guest-dev"
#include <vdmabuf/frontend/device.hpp>

#include "kernel_device.hpp"
#include "virtio_user_device.hpp"

#include <cerrno>
#include <sys/stat.h>

namespace vdmabuf::frontend {

Device::~Device() = default;

bool Device::export_dmabuf(int /*dmabuf_fd*/, const BufferDesc& /*desc*/, vdmabuf_id& /*out_id*/,
                           uint64_t* /*tag*/) {
    errno = ENOTSUP;
    return false;
}

std::unique_ptr<Device> Device::open(const std::string& path, const DeviceOptions& options) {
    if (is_kernel_path(path))
        return KernelDevice::open(path, options);
    return VirtioUserDevice::connect(path, options);
}

bool Device::is_kernel_path(const std::string& path) {
    struct stat st {};
    const bool char_device = ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
    return char_device || path == VDMABUF_UAPI_DEVICE;
}

} // namespace vdmabuf::frontend
