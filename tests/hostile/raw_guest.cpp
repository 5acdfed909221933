#define VDM_LOG_SCOPE "raw-guest"
#include "raw_guest.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/scm_rights.hpp>
#include <vdmabuf/shared/time.hpp>

#include "wire_requests.hpp"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace vdmabuf::hostile {
namespace {

using namespace virtio;

// Ring layout inside each queue's 4 KiB page (num 64, no EVENT_IDX).
constexpr size_t kAvailOffset = 1024;
constexpr size_t kUsedOffset = 2048;
static_assert(desc_table_size(RawGuest::kQueueSize) <= kAvailOffset);
static_assert(kAvailOffset + avail_size(RawGuest::kQueueSize, false) <= kUsedOffset);
static_assert(kUsedOffset + used_size(RawGuest::kQueueSize, false) <= 4096);
static_assert(RawGuest::kEventBuffers * VDMABUF_EVENT_SIZE <= 4096);

uint64_t ms_left(uint64_t deadline) {
    const uint64_t now = now_ns();
    return now >= deadline ? 0 : (deadline - now) / 1000000 + 1;
}

} // namespace

std::vector<uint8_t> ExportRequest::bytes() const {
    return testwire::export_bytes(cmd, extents);
}

std::unique_ptr<RawGuest> RawGuest::connect(const std::string& socket, Options options) {
    std::unique_ptr<RawGuest> g(new RawGuest);
    g->name_ = options.name;
    g->post_events_ = options.post_event_buffers;
    g->device_features_ = options.device_features;
    g->hello_features_ = options.hello_features;
    g->size_ = options.memory_size;
    g->sock_ = UniqueFd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    if (!g->sock_ || ::connect(g->sock_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        VDM_ERRNO("connect(%s)", socket.c_str());
        return nullptr;
    }
    g->mem_fd_ = UniqueFd{::memfd_create("raw-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!g->mem_fd_ || ::ftruncate(g->mem_fd_.get(), static_cast<off_t>(g->size_)) != 0 ||
        ::fcntl(g->mem_fd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
        VDM_ERRNO("guest memory");
        return nullptr;
    }
    g->map_ = MemoryMapping::map_shared(g->mem_fd_.get(), g->size_);
    if (!g->map_)
        return nullptr;
    for (uint32_t q = 0; q < 2; ++q) {
        g->kick_[q] = UniqueFd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
        g->call_[q] = UniqueFd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
        g->ring_gpa_[q] = kGpa + q * 4096;
    }
    return g;
}

std::unique_ptr<RawGuest> RawGuest::ready(const std::string& socket, Options options) {
    auto g = connect(socket, std::move(options));
    if (!g || !g->start() || !g->hello())
        return nullptr;
    return g;
}

bool RawGuest::send(vu::Request req, const void* payload, uint32_t size, std::span<const int> fds,
                    uint32_t flags) {
    const vu::Header hdr{static_cast<uint32_t>(req), flags, size};
    return vu::send_message(sock_.get(), hdr, payload, fds);
}

bool RawGuest::send_bytes(const void* data, size_t len, std::span<const int> fds) {
    return send_with_fds(sock_.get(), data, len, fds);
}

std::optional<uint64_t> RawGuest::reply_u64(vu::Request req, int timeout_ms) {
    pollfd pfd{sock_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) != 1)
        return std::nullopt;
    if (vu::recv_message(sock_.get(), reply_) != vu::RecvStatus::ok ||
        reply_.hdr.request != static_cast<uint32_t>(req) || !(reply_.hdr.flags & vu::kFlagReply))
        return std::nullopt;
    uint64_t v = 0;
    if (!reply_.read_payload(v))
        return std::nullopt;
    return v;
}

std::optional<uint64_t> RawGuest::acked(vu::Request req, const void* payload, uint32_t size,
                                        std::span<const int> fds) {
    if (!send(req, payload, size, fds, vu::kVersion | vu::kFlagNeedReply))
        return std::nullopt;
    return reply_u64(req);
}

bool RawGuest::closed_by_peer(int timeout_ms) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    for (;;) {
        pollfd pfd{sock_.get(), POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(ms_left(deadline))) != 1)
            return false;
        char buf[256];
        const ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0 && errno != EAGAIN)
            return false;
    }
}

bool RawGuest::negotiate() {
    if (!send(vu::Request::get_features, nullptr, 0))
        return false;
    const auto features = reply_u64(vu::Request::get_features);
    const uint64_t want = vu::bit(vu::feature::kVersion1) | vu::bit(vu::feature::kProtocolFeatures) |
                          vu::bit(vu::feature::kIndirectDesc) | device_features_;
    if (!features || (*features & want) != want)
        return false;
    if (!send(vu::Request::set_features, &want, sizeof want))
        return false;
    if (!send(vu::Request::get_protocol_features, nullptr, 0))
        return false;
    const auto proto = reply_u64(vu::Request::get_protocol_features);
    const uint64_t ack = vu::bit(vu::protocol_feature::kReplyAck);
    if (!proto || !(*proto & ack))
        return false;
    if (!send(vu::Request::set_protocol_features, &ack, sizeof ack))
        return false;
    auto owner = acked(vu::Request::set_owner, nullptr, 0);
    return owner && *owner == 0;
}

std::optional<uint64_t> RawGuest::send_mem_table() {
    vu::MemoryTable t{};
    t.nregions = 1;
    t.regions[0] = {kGpa, size_, uva(kGpa), 0};
    const int fd = mem_fd_.get();
    return acked(vu::Request::set_mem_table, &t,
                 static_cast<uint32_t>(vu::kMemoryTableHeaderSize + sizeof(vu::MemoryRegion)),
                 {&fd, 1});
}

bool RawGuest::setup_ring(uint32_t q) {
    std::memset(ring_base(q), 0, 4096);
    avail_idx_[q] = last_used_[q] = 0;
    const vu::VringState num{q, kQueueSize};
    const vu::VringState base{q, 0};
    const uint64_t g = ring_gpa_[q];
    const vu::VringAddr addr{q, 0, uva(g), uva(g + kUsedOffset), uva(g + kAvailOffset), 0};
    const uint64_t index = q;
    const int kick = kick_[q].get();
    const int call = call_[q].get();
    const vu::VringState enable{q, 1};
    auto ok = [](std::optional<uint64_t> a) { return a && *a == 0; };
    return ok(acked(vu::Request::set_vring_num, &num, sizeof num)) &&
           ok(acked(vu::Request::set_vring_base, &base, sizeof base)) &&
           ok(acked(vu::Request::set_vring_addr, &addr, sizeof addr)) &&
           ok(acked(vu::Request::set_vring_kick, &index, sizeof index, {&kick, 1})) &&
           ok(acked(vu::Request::set_vring_call, &index, sizeof index, {&call, 1})) &&
           ok(acked(vu::Request::set_vring_enable, &enable, sizeof enable));
}

bool RawGuest::start() {
    auto mem = negotiate() ? send_mem_table() : std::nullopt;
    if (!mem || *mem != 0 || !setup_ring(VDMABUF_VQ_EVENT) || !setup_ring(VDMABUF_VQ_CTRL))
        return false;
    if (post_events_) {
        for (uint16_t i = 0; i < kEventBuffers; ++i)
            post_event_buffer(i);
        kick(VDMABUF_VQ_EVENT);
    }
    return true;
}

void RawGuest::post_event_buffer(uint16_t head) {
    set_desc(VDMABUF_VQ_EVENT, head,
             {kGpa + kEventArea + uint64_t{head} * VDMABUF_EVENT_SIZE, VDMABUF_EVENT_SIZE,
              kDescFWrite, 0});
    post(VDMABUF_VQ_EVENT, head);
}

bool RawGuest::hello() {
    const vdmabuf_cmd_hello_features h{testwire::hello_cmd(name_, tag_++),
                                       hello_features_.value_or(0)};
    auto r = hello_features_ ? request(h) : request(h.hello);
    if (!r || r->used_len < sizeof(vdmabuf_resp_hello) || r->hello.hdr.type != VDMABUF_RESP_OK_HELLO)
        return false;
    guest_ = r->hello.guest;
    key_ = r->hello.key;
    session_features_ = r->hello.features;
    return true;
}

std::optional<CtrlReply> RawGuest::request(const void* req, size_t len, uint32_t resp_len) {
    if (len > kRequestSize || resp_len > 4096)
        return std::nullopt;
    std::memcpy(host(request_gpa()), req, len);
    std::memset(host(response_gpa()), 0xee, resp_len);
    set_desc(VDMABUF_VQ_CTRL, 0,
             {request_gpa(), static_cast<uint32_t>(len), kDescFNext, 1});
    set_desc(VDMABUF_VQ_CTRL, 1, {response_gpa(), resp_len, kDescFWrite, 0});
    auto used = submit(0);
    if (!used)
        return std::nullopt;
    CtrlReply r;
    r.used_len = *used;
    std::memcpy(&r.resp, host(response_gpa()), sizeof r.resp);
    std::memcpy(&r.hello, host(response_gpa()), sizeof r.hello);
    return r;
}

std::vector<CtrlReply> RawGuest::request_batch(const std::vector<std::vector<uint8_t>>& reqs) {
    const uint32_t q = VDMABUF_VQ_CTRL;
    if (reqs.size() > kMaxBatch)
        return {};
    uint64_t offset = 0;
    for (size_t i = 0; i < reqs.size(); ++i) {
        const uint64_t req_gpa = request_gpa() + offset;
        offset += (reqs[i].size() + 7) & ~size_t{7};
        if (offset > kRequestSize)
            return {};
        std::memcpy(host(req_gpa), reqs[i].data(), reqs[i].size());
        const uint64_t resp_gpa = response_gpa() + i * VDMABUF_RESP_SIZE;
        std::memset(host(resp_gpa), 0xee, VDMABUF_RESP_SIZE);
        const auto head = static_cast<uint16_t>(2 * i);
        set_desc(q, head,
                 {req_gpa, static_cast<uint32_t>(reqs[i].size()), kDescFNext,
                  static_cast<uint16_t>(head + 1)});
        set_desc(q, static_cast<uint16_t>(head + 1), {resp_gpa, VDMABUF_RESP_SIZE, kDescFWrite, 0});
        post(q, head);
    }
    kick(q);
    const auto target = static_cast<uint16_t>(last_used_[q] + reqs.size());
    if (!wait_used(q, target))
        return {};
    std::vector<CtrlReply> out(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
        const VringUsedElem e = used_elem(q, last_used_[q]++);
        if (e.id % 2 != 0 || e.id / 2 >= reqs.size())
            return {};
        CtrlReply& r = out[e.id / 2];
        r.used_len = e.len;
        std::memcpy(&r.resp, host(response_gpa() + (e.id / 2) * VDMABUF_RESP_SIZE), sizeof r.resp);
    }
    return out;
}

ExportRequest RawGuest::valid_export(uint32_t counter, uint32_t width, uint32_t height) {
    ExportRequest e;
    e.cmd = testwire::xrgb_export_cmd(id(counter), tag_++, width, height);
    e.extents.push_back({alloc(e.cmd.size), e.cmd.size});
    return e;
}

bool RawGuest::export_ok(uint32_t counter, uint32_t width, uint32_t height) {
    auto r = request(valid_export(counter, width, height).bytes());
    return r && r->used_len == sizeof(vdmabuf_resp) && r->resp.hdr.type == VDMABUF_RESP_OK;
}

vdmabuf_cmd_present RawGuest::present_cmd(uint32_t counter, uint32_t output,
                                          uint64_t sequence) const {
    return testwire::present_cmd(id(counter), sequence, output, sequence);
}

vdmabuf_cmd_unexport RawGuest::unexport_cmd(uint32_t counter) const {
    return testwire::unexport_cmd(id(counter));
}

std::vector<RawEvent> RawGuest::take_events() {
    std::vector<RawEvent> out;
    const uint16_t end = used_idx(VDMABUF_VQ_EVENT);
    bool reposted = false;
    while (last_used_[VDMABUF_VQ_EVENT] != end) {
        const auto e = used_elem(VDMABUF_VQ_EVENT, last_used_[VDMABUF_VQ_EVENT]++);
        if (e.id >= kEventBuffers)
            continue;
        const uint8_t* p = host(kGpa + kEventArea + uint64_t{e.id} * VDMABUF_EVENT_SIZE);
        RawEvent ev;
        if (e.len >= sizeof(vdmabuf_hdr))
            std::memcpy(&ev.type, p, sizeof ev.type);
        if (ev.type == VDMABUF_EVT_RELEASE && e.len >= sizeof ev.release)
            std::memcpy(&ev.release, p, sizeof ev.release);
        out.push_back(ev);
        post_event_buffer(static_cast<uint16_t>(e.id));
        reposted = true;
    }
    if (reposted)
        kick(VDMABUF_VQ_EVENT);
    return out;
}

std::vector<RawEvent> RawGuest::wait_releases(size_t count, int timeout_ms) {
    std::vector<RawEvent> out;
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    size_t releases = 0;
    for (;;) {
        for (const RawEvent& e : take_events()) {
            if (e.type != VDMABUF_EVT_RELEASE)
                continue; // REFRESH and friends
            ++releases;
            out.push_back(e);
        }
        if (releases >= count || now_ns() >= deadline)
            return out;
        pollfd pfd{call_[VDMABUF_VQ_EVENT].get(), POLLIN, 0};
        (void)::poll(&pfd, 1, 10);
        uint64_t v;
        (void)!::read(call_[VDMABUF_VQ_EVENT].get(), &v, sizeof v);
    }
}

uint64_t RawGuest::alloc(uint64_t len) {
    const uint64_t gpa = kGpa + next_;
    next_ += (len + 4095) & ~uint64_t{4095};
    return gpa;
}

uint8_t* RawGuest::avail(uint32_t q) const { return ring_base(q) + kAvailOffset; }
uint8_t* RawGuest::used(uint32_t q) const { return ring_base(q) + kUsedOffset; }

void RawGuest::set_desc(uint32_t q, uint16_t index, const VringDesc& d) {
    ring::store_desc(ring_base(q) + sizeof(VringDesc) * (index % kQueueSize), d);
}

void RawGuest::post(uint32_t q, uint16_t head) {
    ring::store16(avail(q) + kAvailRingOffset + 2 * (avail_idx_[q] % kQueueSize), head);
    set_avail_idx(q, static_cast<uint16_t>(avail_idx_[q] + 1));
}

void RawGuest::set_avail_idx(uint32_t q, uint16_t idx) {
    avail_idx_[q] = idx;
    ring::store_release(avail(q) + kAvailIdxOffset, idx);
}

void RawGuest::kick(uint32_t q) {
    const uint64_t one = 1;
    (void)!::write(kick_[q].get(), &one, sizeof one);
}

bool RawGuest::kick_wanted(uint32_t q) const {
    return (ring::load_acquire(used(q) + kUsedFlagsOffset) & kUsedFNoNotify) == 0;
}

uint16_t RawGuest::used_idx(uint32_t q) const {
    return ring::load_acquire(used(q) + kUsedIdxOffset);
}

VringUsedElem RawGuest::used_elem(uint32_t q, uint16_t i) const {
    const uint8_t* p = used(q) + kUsedRingOffset + sizeof(VringUsedElem) * (i % kQueueSize);
    return {ring::load32(p), ring::load32(p + 4)};
}

bool RawGuest::wait_used(uint32_t q, uint16_t target, int timeout_ms) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    for (;;) {
        // Reached when the distance from target is "not ahead" (mod 2^16).
        if (static_cast<uint16_t>(used_idx(q) - target) < 0x8000)
            return true;
        if (now_ns() >= deadline)
            return false;
        pollfd pfd{call_[q].get(), POLLIN, 0};
        (void)::poll(&pfd, 1, 1); // short: the call fd may have been replaced
        uint64_t v;
        (void)!::read(call_[q].get(), &v, sizeof v);
    }
}

std::optional<uint32_t> RawGuest::submit(uint16_t head, int timeout_ms) {
    const uint32_t q = VDMABUF_VQ_CTRL;
    post(q, head);
    kick(q);
    const uint16_t target = static_cast<uint16_t>(last_used_[q] + 1);
    if (!wait_used(q, target, timeout_ms))
        return std::nullopt;
    const VringUsedElem e = used_elem(q, last_used_[q]);
    last_used_[q] = target;
    if (e.id != head)
        return std::nullopt;
    return e.len;
}

} // namespace vdmabuf::hostile
