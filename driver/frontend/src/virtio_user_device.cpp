#define VDM_LOG_SCOPE "guest-dev"
#include "virtio_user_device.hpp"

#include "page_allocation.hpp"
#include "session_messages.hpp"
#include "vhost_user_frontend.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

namespace vdmabuf::frontend {

namespace {

template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

} // namespace

std::unique_ptr<VirtioUserDevice> VirtioUserDevice::connect(const std::string& socket_path,
                                                            const DeviceOptions& options) {
    std::unique_ptr<VirtioUserDevice> dev(new VirtioUserDevice());
    if (!dev->setup(socket_path, options)) {
        if (errno == 0)
            errno = EPROTO;
        return nullptr;
    }
    return dev;
}

VirtioUserDevice::~VirtioUserDevice() {
    // Closing the socket ends the session (spec §9): the host retires every buffer, so
    // the pages of exported allocations may be reused from now on.
    for (auto& [counter, count] : exports_)
        *count = 0;
}

bool VirtioUserDevice::setup(const std::string& socket_path, const DeviceOptions& options) {
    errno = 0;
    options_ = options;
    if (!printable_name(options.name)) {
        VDM_ERROR("guest name '%s' is not up to %u printable ASCII characters",
                  options.name.c_str(), VDMABUF_NAME_LEN);
        errno = EINVAL;
        return false;
    }
    return connect_socket(socket_path, options.hello_timeout_ms) && create_memory(options) &&
           configure_device() && hello(options.name, options.hello_timeout_ms);
}

bool VirtioUserDevice::connect_socket(const std::string& path, int timeout_ms) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        VDM_ERROR("socket path '%s' is empty or too long", path.c_str());
        errno = EINVAL;
        return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    sock_ = UniqueFd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (!sock_) {
        VDM_ERRNO("socket(AF_UNIX)");
        return false;
    }
    if (::connect(sock_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        VDM_ERRNO("connect to vdmabufd guest socket %s", path.c_str());
        return false;
    }
    // Bounds every blocking handshake read/write: a stuck back-end fails open().
    const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (::setsockopt(sock_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        ::setsockopt(sock_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
        VDM_ERRNO("setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
        return false;
    }
    return true;
}

bool VirtioUserDevice::create_memory(const DeviceOptions& options) {
    const auto layout = MemoryLayout::compute(options.memory_size, options.queue_size);
    if (!layout) {
        VDM_ERROR("memory size %llu / queue size %u: invalid, or too small for the rings",
                  static_cast<unsigned long long>(options.memory_size), options.queue_size);
        errno = EINVAL;
        return false;
    }
    layout_ = *layout;
    pool_ = BufferPool::create(GuestMemoryFile::create(layout_.memory_size, kGuestBase),
                               layout_.pool_offset, layout_.pool_pages, options.scattered);
    return pool_ != nullptr;
}

bool VirtioUserDevice::configure_device() {
    for (auto& k : kick_)
        k = UniqueFd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    call_ = UniqueFd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    epoll_ = UniqueFd{::epoll_create1(EPOLL_CLOEXEC)};
    if (!kick_[0] || !kick_[1] || !call_ || !epoll_) {
        VDM_ERRNO("eventfd/epoll_create1");
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = call_.get();
    epoll_event sev{};
    sev.events = EPOLLIN | EPOLLRDHUP;
    sev.data.fd = sock_.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, call_.get(), &ev) != 0 ||
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sock_.get(), &sev) != 0) {
        VDM_ERRNO("epoll_ctl");
        return false;
    }

    VhostUserFrontend fe(sock_.get());
    Negotiated neg;
    if (!fe.negotiate(options_.features, options_.add_mem_reg, neg))
        return false;
    features_ = neg.device_features;
    if (neg.config && (neg.config->magic != VDMABUF_MAGIC || neg.config->version != VDMABUF_VERSION))
        VDM_WARN("device config: magic 0x%x version %u (expected 0x%x %u); HELLO decides",
                 neg.config->magic, neg.config->version, VDMABUF_MAGIC, VDMABUF_VERSION);

    GuestMemoryFile& mem = pool_->memory();
    const uint32_t qs = layout_.queue_size;
    if (!eventq_.init(mem.ptr(layout_.eventq_offset), mem.gpa(layout_.eventq_offset), qs,
                      neg.event_idx, mem.ptr(layout_.event_buffers_offset),
                      mem.gpa(layout_.event_buffers_offset), layout_.event_buffers) ||
        !ctrlq_.init(mem.ptr(layout_.ctrlq_offset), mem.gpa(layout_.ctrlq_offset), qs,
                     neg.event_idx,
                     {mem.ptr(layout_.small_slots_offset), mem.gpa(layout_.small_slots_offset),
                      layout_.small_slots, kSmallSlotSize},
                     {mem.ptr(layout_.large_slots_offset), mem.gpa(layout_.large_slots_offset),
                      layout_.large_slots, kLargeSlotSize})) {
        VDM_ERROR("virtqueue setup in guest memory failed");
        return false;
    }

    if (!register_memory(fe, neg))
        return false;
    auto uva = [](const uint8_t* p) { return reinterpret_cast<uint64_t>(p); };
    const virtio::DriverQueue* rings[VDMABUF_NUM_QUEUES] = {&eventq_.ring(), &ctrlq_.ring()};
    for (uint32_t i = 0; i < VDMABUF_NUM_QUEUES; ++i) {
        const RingSetup r{i, qs, uva(rings[i]->desc_addr()), uva(rings[i]->avail_addr()),
                          uva(rings[i]->used_addr()), kick_[i].get(), call_.get()};
        if (!fe.setup_ring(r))
            return false;
    }
    connected_ = true;
    if (eventq_.kick_needed())
        kick(VDMABUF_VQ_EVENT);
    VDM_DEBUG("vhost-user setup done: features 0x%llx (device 0x%llx) protocol 0x%llx, "
              "event_idx %d",
              static_cast<unsigned long long>(neg.features),
              static_cast<unsigned long long>(features_),
              static_cast<unsigned long long>(neg.protocol_features), neg.event_idx);
    return true;
}

bool VirtioUserDevice::register_memory(VhostUserFrontend& fe, const Negotiated& neg) {
    namespace vu = virtio::vhost_user;
    GuestMemoryFile& mem = pool_->memory();
    const bool slots = neg.protocol_features & vu::bit(vu::protocol_feature::kConfigureMemSlots);
    if (!options_.add_mem_reg || !slots || neg.mem_slots < 2) {
        if (options_.add_mem_reg)
            VDM_INFO("back-end %s; using SET_MEM_TABLE",
                     slots ? "offers fewer than 2 memory slots"
                           : "does not offer CONFIGURE_MEM_SLOTS");
        added_regions_ = 0;
        const vu::MemoryRegion region{mem.base_gpa(), mem.size(), mem.base_uva(), 0};
        return fe.set_mem_table(region, mem.fd());
    }
    // Rings, slots and event buffers; then the buffer pages, at their file offset.
    const uint64_t split = layout_.pool_offset;
    const vu::MemoryRegion regions[2] = {
        {mem.gpa(0), split, mem.uva(0), 0},
        {mem.gpa(split), mem.size() - split, mem.uva(split), split},
    };
    for (const vu::MemoryRegion& r : regions) {
        if (!fe.add_mem_reg(r, mem.fd()))
            return false;
    }
    added_regions_ = 2;
    return true;
}

bool VirtioUserDevice::hello(const std::string& name, int timeout_ms) {
    vdmabuf_cmd_hello cmd{};
    const uint64_t tag = next_tag_++;
    cmd.hdr = {VDMABUF_CMD_HELLO, 0, tag};
    cmd.magic = VDMABUF_MAGIC;
    cmd.version = VDMABUF_VERSION;
    std::memcpy(cmd.name, name.data(), name.size());
    if (!submit({bytes_of(cmd), {}, VDMABUF_CMD_HELLO, tag, 0, false}, nullptr))
        return false;

    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1'000'000u;
    CtrlCompletion c;
    for (;;) {
        drain_call();
        if (ctrlq_.reap(c))
            break;
        if (ctrlq_.enable_interrupts())
            continue;
        const uint64_t now = now_ns();
        if (now >= deadline) {
            VDM_ERROR("no HELLO response within %d ms", timeout_ms);
            errno = ETIMEDOUT;
            return false;
        }
        pollfd fds[2] = {{call_.get(), POLLIN, 0}, {sock_.get(), POLLIN | POLLRDHUP, 0}};
        const int wait_ms = static_cast<int>((deadline - now + 999'999) / 1'000'000);
        if (::poll(fds, 2, wait_ms) < 0 && errno != EINTR) {
            VDM_ERRNO("poll for the HELLO response");
            return false;
        }
        if (fds[1].revents) {
            VDM_ERROR("back-end closed the connection before answering HELLO");
            errno = ECONNRESET;
            return false;
        }
    }
    if (c.response.status != ResponseStatus::ok || !parse_hello(c.bytes, c.len, hello_)) {
        ++counters_.responses_invalid;
        if (c.response.status == ResponseStatus::error)
            VDM_ERROR("device refused HELLO: error 0x%x (detail %u)", c.response.code,
                      c.response.detail);
        else
            VDM_ERROR("invalid HELLO response (%u bytes)", c.len);
        errno = EPROTO;
        return false;
    }
    ++counters_.responses_ok;
    ids_.reset(hello_.guest, hello_.key);
    name_ = name.empty() ? "guest" + std::to_string(hello_.guest) : name;
    VDM_INFO("connected: guest %u '%s', memory %llu MiB at 0x%llx (%llu buffer pages, %s, "
             "%s), queues %u, max_buffers %u, max_extents %u",
             hello_.guest, name_.c_str(),
             static_cast<unsigned long long>(layout_.memory_size >> 20),
             static_cast<unsigned long long>(kGuestBase),
             static_cast<unsigned long long>(layout_.pool_pages),
             options_.scattered ? "scattered" : "contiguous",
             added_regions_ ? "2 regions by ADD_MEM_REG" : "SET_MEM_TABLE", layout_.queue_size,
             hello_.max_buffers, hello_.max_extents);
    // Events that arrived while we waited only for the ctrlq are still in the used
    // ring; make the first epoll wait return so dispatch() picks them up.
    const uint64_t one = 1;
    if (::write(call_.get(), &one, sizeof one) < 0)
        VDM_ERRNO("signalling the call eventfd");
    return true;
}

} // namespace vdmabuf::frontend
