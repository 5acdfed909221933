#include "fake_backend.hpp"

#include <vdmabuf/virtio/device_queue.hpp>
#include <vdmabuf/virtio/guest_memory.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vdmabuf::frontend::test {

namespace vu = virtio::vhost_user;

// Per-connection device state; lives on the back-end thread only.
struct FakeBackend::Impl {
    explicit Impl(FakeBackend& o) : owner(o) {}
    FakeBackend& owner;
    UniqueFd conn;
    virtio::GuestMemory mem;
    virtio::DeviceQueue queues[2];
    UniqueFd kick[2];
    UniqueFd call;
    uint32_t num[2] = {};
    bool event_idx = false;
    vu::Message msg;
    virtio::Chain chain;
    std::vector<uint8_t> request = std::vector<uint8_t>(VDMABUF_MAX_REQUEST_SIZE + 4096);

    void notify(int q) {
        if (queues[q].should_notify() && call) {
            const uint64_t one = 1;
            (void)!::write(call.get(), &one, sizeof one);
        }
    }

    bool handle_message() {
        const vu::RecvStatus st = vu::recv_message(conn.get(), msg);
        if (st != vu::RecvStatus::ok)
            return false;
        uint64_t u64 = 0;
        vu::VringState state{};
        uint32_t status = 0;
        switch (static_cast<vu::Request>(msg.hdr.request)) {
        case vu::Request::get_features:
            return vu::send_reply_u64(conn.get(), msg.hdr.request,
                                      vu::bit(vu::feature::kVersion1) | vu::bit(vu::feature::kEventIdx) |
                                          vu::bit(vu::feature::kProtocolFeatures));
        case vu::Request::get_protocol_features:
            return vu::send_reply_u64(conn.get(), msg.hdr.request,
                                      vu::bit(vu::protocol_feature::kReplyAck) |
                                          vu::bit(vu::protocol_feature::kConfig));
        case vu::Request::set_features:
            if (msg.read_payload(u64))
                event_idx = u64 & vu::bit(vu::feature::kEventIdx);
            break;
        case vu::Request::get_config: {
            struct {
                vu::ConfigHeader hdr;
                vdmabuf_config config;
            } reply{{0, sizeof(vdmabuf_config), 0}, {VDMABUF_MAGIC, VDMABUF_VERSION, 64, 16}};
            const vu::Header h{msg.hdr.request, vu::kVersion | vu::kFlagReply, sizeof reply};
            return vu::send_message(conn.get(), h, &reply);
        }
        case vu::Request::set_mem_table: {
            vu::MemoryTable table{};
            if (owner.options_.refuse_mem_table || !vu::parse_memory_table(msg, table))
                status = 1;
            for (uint32_t i = 0; status == 0 && i < table.nregions; ++i)
                if (!mem.add_region(table.regions[i], msg.take_fd(i)))
                    status = 1;
            break;
        }
        case vu::Request::set_vring_num:
            if (msg.read_payload(state) && state.index < 2)
                num[state.index] = state.num;
            break;
        case vu::Request::set_vring_base:
            if (msg.read_payload(state) && state.index < 2)
                queues[state.index].set_base(static_cast<uint16_t>(state.num));
            break;
        case vu::Request::set_vring_addr: {
            vu::VringAddr a{};
            if (!msg.read_payload(a) || a.index >= 2 ||
                !queues[a.index].configure(mem, num[a.index], a.desc_user_addr,
                                           a.avail_user_addr, a.used_user_addr, event_idx))
                status = 1;
            break;
        }
        case vu::Request::set_vring_kick:
        case vu::Request::set_vring_call:
            if (!msg.read_payload(u64) || (u64 & vu::kVringIndexMask) >= 2) {
                status = 1;
                break;
            }
            if (msg.hdr.request == static_cast<uint32_t>(vu::Request::set_vring_kick))
                kick[u64 & vu::kVringIndexMask] = msg.take_fd(0);
            else
                call = msg.take_fd(0);
            break;
        case vu::Request::set_vring_enable:
            if (msg.read_payload(state) && state.index < 2)
                queues[state.index].enable(state.num != 0);
            break;
        default:
            break;
        }
        if (msg.hdr.flags & vu::kFlagNeedReply)
            return vu::send_reply_u64(conn.get(), msg.hdr.request, status);
        return true;
    }

    void respond(const void* resp, size_t len) {
        chain.write(resp, len);
        queues[1].push(chain);
    }

    void release(const vdmabuf_cmd_present& p) {
        vdmabuf_evt_release e{};
        e.hdr.type = VDMABUF_EVT_RELEASE;
        e.id = p.id;
        e.sequence = p.sequence;
        e.output = p.output;
        e.reason = VDMABUF_RELEASE_NO_CONSUMER;
        std::vector<uint8_t> bytes(sizeof e);
        std::memcpy(bytes.data(), &e, sizeof e);
        std::lock_guard lock(owner.mutex_);
        owner.pending_events_.emplace_back(std::move(bytes), sizeof e);
    }

    void process_ctrlq() {
        while (queues[1].ready() && queues[1].pop(chain) == virtio::PopResult::ok) {
            const size_t len = chain.read(0, request.data(), request.size());
            vdmabuf_hdr hdr{};
            std::memcpy(&hdr, request.data(), std::min(len, sizeof hdr));
            vdmabuf_resp resp{{VDMABUF_RESP_OK, 0, hdr.tag}, hdr.type, 0};
            if (hdr.type == VDMABUF_CMD_HELLO) {
                if (!owner.options_.answer_hello)
                    continue; // never returned: the driver times out
                vdmabuf_resp_hello h{};
                h.hdr = {VDMABUF_RESP_OK_HELLO, 0, hdr.tag};
                h.magic = VDMABUF_MAGIC;
                h.version = VDMABUF_VERSION;
                h.guest = kFakeGuest;
                h.max_buffers = 64;
                h.key = kFakeKey;
                h.max_extents = VDMABUF_MAX_EXTENTS;
                h.max_damage = VDMABUF_MAX_DAMAGE;
                h.max_outputs = VDMABUF_MAX_OUTPUTS;
                respond(&h, sizeof h);
                continue;
            }
            if (hdr.type == VDMABUF_CMD_EXPORT && len >= sizeof(vdmabuf_cmd_export)) {
                vdmabuf_cmd_export e;
                std::memcpy(&e, request.data(), sizeof e);
                Export rec{e.id, e.n_extents, e.size, 0};
                for (uint32_t i = 0; i < e.n_extents && len >= sizeof e + 16 * (i + 1); ++i) {
                    vdmabuf_extent x;
                    std::memcpy(&x, request.data() + sizeof e + 16 * i, sizeof x);
                    const uint8_t* p = mem.gpa_to_ptr(x.addr, x.len);
                    for (uint64_t j = 0; p && j < x.len; ++j)
                        rec.checksum += p[j];
                }
                std::lock_guard lock(owner.mutex_);
                owner.exports_.push_back(rec);
            } else if (hdr.type == VDMABUF_CMD_PRESENT && len == sizeof(vdmabuf_cmd_present)) {
                vdmabuf_cmd_present p;
                std::memcpy(&p, request.data(), sizeof p);
                ++owner.presents;
                release(p);
            } else if (hdr.type == VDMABUF_CMD_UNEXPORT) {
                ++owner.unexports;
            } else {
                resp.hdr.type = VDMABUF_RESP_ERR_MALFORMED;
            }
            respond(&resp, sizeof resp);
        }
        notify(1);
    }

    void deliver_events() {
        std::lock_guard lock(owner.mutex_);
        auto& pending = owner.pending_events_;
        size_t done = 0;
        while (done < pending.size() && queues[0].ready() &&
               queues[0].pop(chain) == virtio::PopResult::ok) {
            chain.write(pending[done].first.data(), pending[done].first.size());
            queues[0].push(chain.head(), pending[done].second);
            ++done;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<long>(done));
        notify(0);
    }
};

FakeBackend::FakeBackend(FakeBackendOptions options) : options_(options) {
    char tmpl[] = "/tmp/vdmabuf-frontend-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/guest.sock";
    listen_ = UniqueFd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size());
    if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_.get(), 4) != 0)
        std::abort();
    wake_ = UniqueFd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    thread_ = std::thread([this] { run(); });
}

FakeBackend::~FakeBackend() {
    stop_ = true;
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    thread_.join();
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
}

void FakeBackend::inject_event(std::vector<uint8_t> bytes, uint32_t len) {
    bytes.resize(VDMABUF_EVENT_SIZE);
    {
        std::lock_guard lock(mutex_);
        pending_events_.emplace_back(std::move(bytes), len);
    }
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

void FakeBackend::disconnect() {
    {
        std::lock_guard lock(mutex_);
        disconnect_ = true;
    }
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

std::vector<FakeBackend::Export> FakeBackend::exports() {
    std::lock_guard lock(mutex_);
    return exports_;
}

void FakeBackend::run() {
    auto impl = std::make_unique<Impl>(*this);
    while (!stop_) {
        pollfd fds[4] = {{impl->conn ? impl->conn.get() : listen_.get(), POLLIN, 0},
                         {wake_.get(), POLLIN, 0},
                         {impl->kick[0] ? impl->kick[0].get() : -1, POLLIN, 0},
                         {impl->kick[1] ? impl->kick[1].get() : -1, POLLIN, 0}};
        if (::poll(fds, 4, 100) < 0)
            continue;
        uint64_t v = 0;
        if (fds[0].revents) {
            if (!impl->conn)
                impl->conn = UniqueFd{::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC)};
            else if (!impl->handle_message())
                impl = std::make_unique<Impl>(*this);
        }
        if (fds[1].revents) {
            (void)!::read(wake_.get(), &v, sizeof v);
            std::unique_lock lock(mutex_);
            if (std::exchange(disconnect_, false)) {
                lock.unlock();
                impl = std::make_unique<Impl>(*this);
                continue;
            }
        }
        if (fds[3].revents)
            (void)!::read(impl->kick[1].get(), &v, sizeof v);
        if (fds[2].revents)
            (void)!::read(impl->kick[0].get(), &v, sizeof v);
        impl->process_ctrlq();
        impl->deliver_events();
    }
}

} // namespace vdmabuf::frontend::test
