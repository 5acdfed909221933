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
    std::unique_ptr<Device> device;
    if (is_kernel_path(path))
        device = KernelDevice::open(path, options);
    else
        device = VirtioUserDevice::connect(path, options);
    if (device)
        device->set_busy_poll_us(options.busy_poll_us >= 0
                                     ? static_cast<uint32_t>(options.busy_poll_us)
                                     : BusyPoll::budget_from_env());
    return device;
}

bool Device::wait(int timeout_ms) {
    if (!connected())
        return true; // dispatch() reports the loss
    // A request just sent is activity: its answer is probably µs away.
    if (const uint64_t sent = counters().requests_sent; sent != requests_seen_) {
        requests_seen_ = sent;
        busy_.note_activity(now_ns());
    }
    pollfd pfd{fd(), POLLIN, 0};
    for (;;) {
        const int r = busy_poll(busy_, &pfd, 1, timeout_ms);
        if (r >= 0)
            return r > 0;
        if (errno != EINTR)
            return false;
    }
}

bool Device::is_kernel_path(const std::string& path) {
    struct stat st {};
    const bool char_device = ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
    return char_device || path == VDMABUF_UAPI_DEVICE;
}

} // namespace vdmabuf::frontend
