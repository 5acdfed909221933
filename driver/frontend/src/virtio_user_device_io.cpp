// VirtioUserDevice, steady state: requests and dispatch. No heap allocation on the
// present / dispatch paths (the ID table changes only on EXPORT and UNEXPORT).
#define VDM_LOG_SCOPE "guest-dev"
#include "page_allocation.hpp"
#include "virtio_user_device.hpp"

#include "session_messages.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace vdmabuf::frontend {

namespace {

constexpr int kMaxDispatchRounds = 4;

template <typename T>
std::span<const uint8_t> bytes_of(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

} // namespace

bool VirtioUserDevice::usable() {
    if (connected_)
        return true;
    errno = ENOTCONN;
    return false;
}

void VirtioUserDevice::kick(int queue) {
    const uint64_t one = 1;
    if (::write(kick_[queue].get(), &one, sizeof one) == sizeof one)
        ++counters_.kicks;
}

void VirtioUserDevice::drain_call() {
    uint64_t value = 0;
    if (::read(call_.get(), &value, sizeof value) == sizeof value)
        ++counters_.interrupts;
}

bool VirtioUserDevice::submit(const CtrlRequest& request, uint64_t* tag) {
    if (!usable() || !ctrlq_.submit(request))
        return false;
    ++counters_.requests_sent;
    if (tag)
        *tag = request.tag;
    if (ctrlq_.kick_needed())
        kick(VDMABUF_VQ_CTRL);
    return true;
}

std::unique_ptr<Allocation> VirtioUserDevice::allocate(uint64_t size) {
    if (!usable())
        return nullptr;
    return pool_->allocate(size);
}

bool VirtioUserDevice::export_buffer(const Allocation& allocation, const BufferDesc& desc,
                                     vdmabuf_id& out_id, uint64_t* tag) {
    if (!usable())
        return false;
    const auto* pages = dynamic_cast<const PageAllocation*>(&allocation);
    if (!pages || pages->pool() != pool_.get()) {
        VDM_ERROR("export: the allocation is not from this device's memory");
        errno = EINVAL;
        return false;
    }
    const auto extents = pages->extents();
    if (desc.n_planes > VDMABUF_MAX_PLANES || extents.size() > VDMABUF_MAX_EXTENTS) {
        errno = EINVAL;
        return false;
    }
    vdmabuf_id id{};
    if (!ids_.next(id)) {
        errno = ENOSPC;
        return false;
    }
    vdmabuf_cmd_export cmd{};
    const uint64_t t = next_tag_++;
    cmd.hdr = {VDMABUF_CMD_EXPORT, 0, t};
    cmd.id = id;
    cmd.fourcc = desc.fourcc;
    cmd.width = desc.width;
    cmd.height = desc.height;
    cmd.n_planes = desc.n_planes;
    cmd.modifier = desc.modifier;
    for (uint32_t i = 0; i < desc.n_planes; ++i)
        cmd.planes[i] = desc.planes[i];
    cmd.size = pages->size();
    cmd.n_extents = static_cast<uint32_t>(extents.size());
    const std::span<const uint8_t> tail{reinterpret_cast<const uint8_t*>(extents.data()),
                                        extents.size_bytes()};
    if (!submit({bytes_of(cmd), tail, VDMABUF_CMD_EXPORT, t, id.counter, false}, tag)) {
        ids_.release(id.counter);
        return false;
    }
    ++*pages->export_count();
    exports_[id.counter] = pages->export_count();
    out_id = id;
    return true;
}

bool VirtioUserDevice::export_dmabuf(int /*dmabuf_fd*/, const BufferDesc& /*desc*/,
                                     vdmabuf_id& /*out_id*/, uint64_t* /*tag*/) {
    if (!usable())
        return false;
    // EXPORT names guest-physical extents. Here "guest memory" is this process's memfd;
    // a dma-buf's pages are elsewhere, and only a kernel driver can resolve them.
    if (!dmabuf_refusal_logged_) {
        VDM_ERROR("export of a dma-buf: not possible on the virtio-user device (no guest "
                  "kernel driver); use /dev/virtio-vdmabuf");
        dmabuf_refusal_logged_ = true;
    }
    errno = ENOTSUP;
    return false;
}

bool VirtioUserDevice::present(const vdmabuf_id& id, uint32_t output, uint64_t sequence,
                               uint64_t guest_time_ns, std::span<const vdmabuf_rect> damage,
                               uint64_t* tag) {
    if (damage.size() > VDMABUF_MAX_DAMAGE) {
        errno = EINVAL;
        return false;
    }
    vdmabuf_cmd_present cmd{};
    const uint64_t t = next_tag_;
    cmd.hdr = {VDMABUF_CMD_PRESENT, 0, t};
    cmd.id = id;
    cmd.output = output;
    cmd.n_damage = static_cast<uint32_t>(damage.size());
    cmd.sequence = sequence;
    cmd.guest_time_ns = guest_time_ns;
    if (!damage.empty())
        std::memcpy(cmd.damage, damage.data(), damage.size_bytes());
    if (!submit({bytes_of(cmd), {}, VDMABUF_CMD_PRESENT, t, 0, false}, tag))
        return false;
    ++next_tag_;
    return true;
}

bool VirtioUserDevice::unexport(const vdmabuf_id& id, uint64_t* tag) {
    vdmabuf_cmd_unexport cmd{};
    const uint64_t t = next_tag_;
    cmd.hdr = {VDMABUF_CMD_UNEXPORT, 0, t};
    cmd.id = id;
    const uint32_t counter = ids_.ours(id) ? id.counter : 0;
    if (!submit({bytes_of(cmd), {}, VDMABUF_CMD_UNEXPORT, t, counter, false}, tag))
        return false;
    ++next_tag_;
    return true;
}

bool VirtioUserDevice::send_raw(std::span<const uint8_t> request, uint64_t* tag) {
    uint32_t type = 0;
    uint64_t t = 0;
    if (request.size() >= sizeof(vdmabuf_hdr)) {
        std::memcpy(&type, request.data(), sizeof type);
        std::memcpy(&t, request.data() + offsetof(vdmabuf_hdr, tag), sizeof t);
    }
    return submit({request, {}, type, t, 0, true}, tag);
}

void VirtioUserDevice::retire(uint32_t counter) {
    if (counter == 0)
        return;
    ids_.release(counter);
    if (auto it = exports_.find(counter); it != exports_.end()) {
        if (*it->second)
            --*it->second;
        exports_.erase(it);
    }
}

void VirtioUserDevice::handle_completion(const CtrlCompletion& c) {
    switch (c.response.status) {
    case ResponseStatus::ok:
        ++counters_.responses_ok;
        if (c.type == VDMABUF_CMD_UNEXPORT && !c.raw)
            retire(c.counter);
        return;
    case ResponseStatus::error:
        ++counters_.responses_error;
        VDM_DEBUG("request 0x%x tag %llu failed: 0x%x (detail %u)", c.type,
                  static_cast<unsigned long long>(c.tag), c.response.code, c.response.detail);
        if (c.type == VDMABUF_CMD_EXPORT && !c.raw)
            retire(c.counter); // a failed request changes no state (§7)
        if (callbacks_.on_error)
            callbacks_.on_error(c.type, c.response.code, c.tag);
        return;
    case ResponseStatus::invalid:
        // Outcome unknown: an exported ID stays reserved, to be safe.
        ++counters_.responses_invalid;
        VDM_WARN("request 0x%x tag %llu: invalid response (%u bytes, type 0x%x)", c.type,
                 static_cast<unsigned long long>(c.tag), c.len,
                 c.len >= 4 ? static_cast<unsigned>(c.bytes[0] | c.bytes[1] << 8) : 0u);
        if (callbacks_.on_error)
            callbacks_.on_error(c.type, 0, c.tag);
        return;
    }
}

void VirtioUserDevice::handle_event(const uint8_t* bytes, uint32_t len) {
    ++counters_.events_received;
    deliver_event(parse_event(bytes, len, hello_.guest, hello_.key, features_), len, callbacks_,
                  counters_);
}

bool VirtioUserDevice::check_socket() {
    pollfd p{sock_.get(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0)
        return true;
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) {
        lose("back-end hung up");
        return false;
    }
    // The back-end has nothing to say on this channel after setup (no back-end
    // requests were negotiated): data here is EOF or a protocol violation.
    char byte = 0;
    const ssize_t n = ::recv(sock_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    lose(n == 0 ? "back-end closed the connection" : "unexpected data from the back-end");
    return false;
}

void VirtioUserDevice::lose(const char* why) {
    if (!connected_)
        return;
    connected_ = false;
    VDM_WARN("device lost: %s", why);
    // The session is over (§9): the host has retired every buffer.
    for (auto& [counter, count] : exports_)
        *count = 0;
    exports_.clear();
    if (callbacks_.on_lost)
        callbacks_.on_lost();
}

int VirtioUserDevice::dispatch() {
    if (!usable() || !check_socket())
        return -1;
    drain_call();
    int handled = 0;
    CtrlCompletion c;
    uint8_t event[kEventBufferSize];
    uint32_t len = 0;
    for (int round = 0;; ++round) {
        while (ctrlq_.reap(c)) {
            handle_completion(c);
            ++handled;
        }
        bool reposted = false;
        while (eventq_.reap(event, len)) {
            handle_event(event, len);
            reposted = true;
            ++handled;
        }
        if (reposted) {
            eventq_.publish();
            if (eventq_.kick_needed())
                kick(VDMABUF_VQ_EVENT);
        }
        bool more = ctrlq_.enable_interrupts();
        more = eventq_.enable_interrupts() || more;
        if (!more)
            break;
        if (round + 1 == kMaxDispatchRounds) {
            const uint64_t one = 1; // come back on the next epoll wakeup
            if (::write(call_.get(), &one, sizeof one) < 0)
                VDM_ERRNO("re-signalling the call eventfd");
            break;
        }
    }
    counters_.ring_errors = ctrlq_.ring().error_count() + eventq_.ring().error_count();
    if (ctrlq_.ring().broken() || eventq_.ring().broken()) {
        lose("virtqueue broken by the device (used index ran ahead)");
        return -1;
    }
    return handled;
}

DeviceCounters VirtioUserDevice::counters() const {
    DeviceCounters c = counters_;
    c.ring_errors = ctrlq_.ring().error_count() + eventq_.ring().error_count();
    return c;
}

} // namespace vdmabuf::frontend
