#define VDM_LOG_SCOPE "guest-dev"
#include "kernel_device.hpp"

#include "kernel_allocation.hpp"
#include "session_messages.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::frontend {

namespace {

static_assert(sizeof(vdmabuf_uapi_id) == sizeof(vdmabuf_id), "IDs are the wire's");

vdmabuf_uapi_id to_uapi(const vdmabuf_id& id) { return {id.guest, id.counter, id.key}; }

template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

// One ioctl, restarted after a signal.
int do_ioctl(int fd, unsigned long request, void* arg) {
    int r;
    do {
        r = ::ioctl(fd, request, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

} // namespace

std::unique_ptr<KernelDevice> KernelDevice::open(const std::string& path,
                                                 const DeviceOptions& options) {
    std::unique_ptr<KernelDevice> dev(new KernelDevice());
    dev->dev_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
    if (!dev->dev_) {
        VDM_ERRNO("open(%s)", path.c_str());
        return nullptr;
    }
    if (do_ioctl(dev->dev_.get(), VDMABUF_IOCTL_INFO, &dev->info_) != 0) {
        const int e = errno;
        VDM_ERRNO("%s: INFO (not the virtio_vdmabuf driver?)", path.c_str());
        errno = e == ENOTTY ? ENODEV : e;
        return nullptr;
    }
    // A driver serves every request of older interface versions unchanged.
    if (dev->info_.version < 1) {
        VDM_ERROR("%s: driver interface version %u, want >= 1", path.c_str(), dev->info_.version);
        errno = EPROTO;
        return nullptr;
    }
    // Version 3 drivers negotiate the interactive features in their HELLO.
    if (dev->info_.version >= 3)
        dev->features_ = dev->info_.features & options.features & kAllFeatures;
    const auto* n = reinterpret_cast<const char*>(dev->info_.name);
    dev->name_.assign(n, ::strnlen(n, sizeof dev->info_.name));
    if (dev->name_ != options.name)
        VDM_INFO("%s: the driver said HELLO as '%s' (module parameter guest_name), not '%s'",
                 path.c_str(), dev->name_.c_str(), options.name.c_str());
    dev->pending_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    dev->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!dev->pending_ || !dev->epoll_) {
        VDM_ERRNO("eventfd/epoll");
        return nullptr;
    }
    for (int fd : {dev->dev_.get(), dev->pending_.get()}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(dev->epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            VDM_ERRNO("epoll_ctl");
            return nullptr;
        }
    }
    VDM_INFO("%s: guest %u, max_buffers %u, features 0x%llx (kernel driver, interface %u)",
             path.c_str(), dev->info_.guest, dev->info_.max_buffers,
             static_cast<unsigned long long>(dev->features_), dev->info_.version);
    return dev;
}

bool KernelDevice::usable() {
    if (connected_)
        return true;
    errno = ENOTCONN;
    return false;
}

void KernelDevice::lose(const char* why) {
    if (!connected_)
        return;
    connected_ = false;
    VDM_WARN("device lost: %s", why);
    if (callbacks_.on_lost)
        callbacks_.on_lost();
}

void KernelDevice::answered(uint32_t request_type, uint32_t status, uint64_t tag) {
    if (status == VDMABUF_RESP_OK) {
        ++counters_.responses_ok;
        return;
    }
    ++counters_.responses_error;
    VDM_DEBUG("request 0x%x tag %llu failed: 0x%x", request_type,
              static_cast<unsigned long long>(tag), status);
    failures_.push_back({request_type, status, tag});
    const uint64_t one = 1;
    if (::write(pending_.get(), &one, sizeof one) < 0)
        VDM_ERRNO("eventfd write");
}

bool KernelDevice::local_refusal(uint32_t request_type, uint64_t tag) {
    const int e = errno;
    switch (e) {
    case ENOENT: answered(request_type, VDMABUF_RESP_ERR_INVALID_ID, tag); return true;
    case EBUSY: answered(request_type, VDMABUF_RESP_ERR_IN_USE, tag); return true;
    case ENODEV:
    case EIO:
    case ETIMEDOUT:
        lose(e == ENODEV ? "the driver's device went away" : "the device stopped answering");
        errno = ENOTCONN;
        return false;
    default: errno = e; return false;
    }
}

std::unique_ptr<Allocation> KernelDevice::allocate(uint64_t size) {
    if (!usable())
        return nullptr;
    vdmabuf_uapi_alloc a{};
    a.size = size;
    if (do_ioctl(dev_.get(), VDMABUF_IOCTL_ALLOC, &a) != 0) {
        VDM_ERRNO("ALLOC of %llu bytes", static_cast<unsigned long long>(size));
        return nullptr;
    }
    UniqueFd dmabuf(a.fd);
    Mapping map = Mapping::map(dmabuf.get(), a.size, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (!map)
        return nullptr;
    return std::make_unique<KernelAllocation>(std::move(dmabuf), std::move(map), this);
}

bool KernelDevice::export_buffer(const Allocation& allocation, const BufferDesc& desc,
                                 vdmabuf_id& out_id, uint64_t* tag) {
    if (!usable())
        return false;
    const auto* mine = dynamic_cast<const KernelAllocation*>(&allocation);
    if (!mine || mine->device() != this) {
        VDM_ERROR("export: not an allocation of this device");
        errno = EINVAL;
        return false;
    }
    return export_fd(mine->dmabuf_fd(), desc, out_id, tag);
}

bool KernelDevice::export_dmabuf(int dmabuf_fd, const BufferDesc& desc, vdmabuf_id& out_id,
                                 uint64_t* tag) {
    if (!usable())
        return false;
    if (info_.version < 2) {
        VDM_ERROR("export: driver interface version %u takes only its own dma-bufs",
                  info_.version);
        errno = ENOTSUP;
        return false;
    }
    return export_fd(dmabuf_fd, desc, out_id, tag);
}

bool KernelDevice::export_fd(int dmabuf_fd, const BufferDesc& desc, vdmabuf_id& out_id,
                             uint64_t* tag) {
    if (desc.n_planes > VDMABUF_MAX_PLANES) {
        VDM_ERROR("export: %u planes", desc.n_planes);
        errno = EINVAL;
        return false;
    }
    vdmabuf_uapi_export e{};
    e.fd = dmabuf_fd;
    e.fourcc = desc.fourcc;
    e.width = desc.width;
    e.height = desc.height;
    e.n_planes = desc.n_planes;
    e.modifier = desc.modifier;
    for (uint32_t i = 0; i < desc.n_planes; ++i)
        e.planes[i] = {desc.planes[i].offset, desc.planes[i].stride};
    const uint64_t t = next_tag_++;
    if (tag)
        *tag = t;
    if (do_ioctl(dev_.get(), VDMABUF_IOCTL_EXPORT, &e) != 0)
        return local_refusal(VDMABUF_CMD_EXPORT, t);
    ++counters_.requests_sent;
    out_id = {e.id.guest, e.id.counter, e.id.key};
    answered(VDMABUF_CMD_EXPORT, e.status, t);
    return true;
}

bool KernelDevice::present(const vdmabuf_id& id, uint32_t output, uint64_t sequence,
                           uint64_t guest_time_ns, std::span<const vdmabuf_rect> damage,
                           uint64_t* tag) {
    if (!usable())
        return false;
    if (damage.size() > VDMABUF_MAX_DAMAGE) {
        errno = EINVAL;
        return false;
    }
    vdmabuf_uapi_present p{};
    p.id = to_uapi(id);
    p.output = output;
    p.n_damage = static_cast<uint32_t>(damage.size());
    p.sequence = sequence;
    p.guest_time_ns = guest_time_ns;
    for (size_t i = 0; i < damage.size(); ++i)
        p.damage[i] = {damage[i].x, damage[i].y, damage[i].width, damage[i].height};
    const uint64_t t = next_tag_++;
    if (tag)
        *tag = t;
    if (do_ioctl(dev_.get(), VDMABUF_IOCTL_PRESENT, &p) != 0)
        return local_refusal(VDMABUF_CMD_PRESENT, t);
    ++counters_.requests_sent;
    answered(VDMABUF_CMD_PRESENT, p.status, t);
    return true;
}

bool KernelDevice::unexport(const vdmabuf_id& id, uint64_t* tag) {
    if (!usable())
        return false;
    vdmabuf_uapi_unexport u{};
    u.id = to_uapi(id);
    const uint64_t t = next_tag_++;
    if (tag)
        *tag = t;
    if (do_ioctl(dev_.get(), VDMABUF_IOCTL_UNEXPORT, &u) != 0)
        return local_refusal(VDMABUF_CMD_UNEXPORT, t);
    ++counters_.requests_sent;
    answered(VDMABUF_CMD_UNEXPORT, u.status, t);
    return true;
}

bool KernelDevice::has_feature(unsigned bit) {
    if (!usable())
        return false;
    if (features_ & (1ull << bit))
        return true;
    errno = ENOTSUP;
    return false;
}

bool KernelDevice::send(std::span<const uint8_t> head, std::span<const uint8_t> tail,
                        uint64_t* tag) {
    vdmabuf_hdr hdr{};
    if (head.size() < sizeof hdr) {
        errno = EINVAL;
        return false;
    }
    send_buf_.assign(head.begin(), head.end());
    send_buf_.insert(send_buf_.end(), tail.begin(), tail.end());
    std::memcpy(&hdr, send_buf_.data(), sizeof hdr);
    vdmabuf_uapi_send s{};
    s.data = reinterpret_cast<uintptr_t>(send_buf_.data());
    s.size = static_cast<uint32_t>(send_buf_.size());
    const uint64_t t = next_tag_++;
    if (tag)
        *tag = t;
    if (do_ioctl(dev_.get(), VDMABUF_IOCTL_SEND, &s) != 0) {
        if (errno == EOPNOTSUPP || errno == ENOTTY) {
            errno = ENOTSUP; // a type SEND does not carry, or a driver before version 3
            return false;
        }
        return local_refusal(hdr.type, t);
    }
    ++counters_.requests_sent;
    answered(hdr.type, s.status, t);
    return true;
}

bool KernelDevice::send_raw(std::span<const uint8_t> request, uint64_t* tag) {
    if (!usable())
        return false;
    return send(request, {}, tag);
}

void KernelDevice::handle_event(const vdmabuf_uapi_event& ev) {
    ++counters_.events_received;
    vdmabuf_hdr hdr{};
    if (ev.size < sizeof hdr || ev.size > sizeof ev.data) {
        ++counters_.events_invalid;
        return;
    }
    std::memcpy(&hdr, ev.data, sizeof hdr);
    if (hdr.type != VDMABUF_EVT_RELEASE) {
        deliver_event(parse_event(ev.data, ev.size, info_.guest, 0, features_), ev.size,
                      callbacks_, counters_);
        return;
    }
    // The driver routed it by its ID (guest and key checked): only its shape here.
    if (ev.size != sizeof(vdmabuf_evt_release)) {
        ++counters_.events_invalid;
        return;
    }
    vdmabuf_evt_release r;
    std::memcpy(&r, ev.data, sizeof r);
    ++counters_.releases;
    if (callbacks_.on_release)
        callbacks_.on_release(r.id, r.sequence, r.output, r.reason);
}

int KernelDevice::dispatch() {
    if (!usable())
        return -1;
    int handled = 0;
    uint64_t value = 0;
    if (::read(pending_.get(), &value, sizeof value) == sizeof value) {
        // Callbacks may queue more requests (and failures): report a snapshot.
        std::vector<Failure> now;
        now.swap(failures_);
        for (const Failure& f : now) {
            ++handled;
            if (callbacks_.on_error)
                callbacks_.on_error(f.request_type, f.code, f.tag);
            if (!connected_)
                return -1;
        }
    }
    vdmabuf_uapi_event events[16];
    for (;;) {
        const ssize_t n = ::read(dev_.get(), events, sizeof events);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            if (errno == ENODEV) {
                lose("the driver's device went away");
                return -1;
            }
            VDM_ERRNO("read(/dev/virtio-vdmabuf)");
            break;
        }
        for (size_t i = 0; i < size_t(n) / sizeof events[0]; ++i) {
            handle_event(events[i]);
            ++handled;
            if (!connected_)
                return -1;
        }
        if (size_t(n) < sizeof events)
            break;
    }
    return handled;
}

bool KernelDevice::announce_output(uint32_t output, bool connected, uint32_t width,
                                   uint32_t height, uint32_t refresh_mhz, std::string_view name,
                                   uint64_t* tag) {
    vdmabuf_cmd_output cmd;
    return has_feature(VDMABUF_F_HOTPLUG) &&
           build_output(info_.max_outputs, output, connected, width, height, refresh_mhz, name,
                        cmd) &&
           send(bytes_of(cmd), {}, tag);
}

bool KernelDevice::set_cursor(uint32_t output, uint32_t width, uint32_t height, uint32_t hotspot_x,
                              uint32_t hotspot_y, std::span<const uint8_t> argb_pixels,
                              uint64_t* tag) {
    vdmabuf_cmd_cursor_set cmd;
    return has_feature(VDMABUF_F_CURSOR) &&
           build_cursor_set(info_.max_outputs, output, width, height, hotspot_x, hotspot_y,
                            argb_pixels, cmd) &&
           send(bytes_of(cmd), argb_pixels, tag);
}

bool KernelDevice::move_cursor(uint32_t output, int32_t x, int32_t y, bool visible,
                               uint64_t* tag) {
    vdmabuf_cmd_cursor_move cmd;
    return has_feature(VDMABUF_F_CURSOR) &&
           build_cursor_move(info_.max_outputs, output, x, y, visible, cmd) &&
           send(bytes_of(cmd), {}, tag);
}

} // namespace vdmabuf::frontend
