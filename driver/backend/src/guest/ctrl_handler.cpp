// ctrlq: one request per chain, processed strictly in avail order (§3.2). The readable
// part is copied out once into a buffer reserved at construction and parsed from the
// copy; the validators decide, this file only applies accepted requests.
#define VDM_LOG_SCOPE "guest"
#include "guest/guest_session.hpp"

#include <vdmabuf/shared/device_event.hpp>
#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstring>

namespace vdmabuf::backend {
namespace {

std::atomic<uint32_t> g_next_guest_id{1};

// DeviceQueue bounds a chain by the queue size and indirect tables by 1024 entries;
// this bounds the total (§3.2).
constexpr size_t kMaxChainSegments = 1024;

const char* request_name(uint32_t type) {
    switch (type) {
    case VDMABUF_CMD_HELLO: return "HELLO";
    case VDMABUF_CMD_EXPORT: return "EXPORT";
    case VDMABUF_CMD_PRESENT: return "PRESENT";
    case VDMABUF_CMD_UNEXPORT: return "UNEXPORT";
    case VDMABUF_CMD_OUTPUT: return "OUTPUT";
    case VDMABUF_CMD_CURSOR_SET: return "CURSOR_SET";
    case VDMABUF_CMD_CURSOR_MOVE: return "CURSOR_MOVE";
    default: return "unknown request";
    }
}

const char* error_name(uint32_t code) {
    static const char* const names[] = {
        "UNSPEC",         "MALFORMED",    "NOT_READY",     "VERSION",
        "INVALID_ID",     "DUPLICATE_ID", "INVALID_ADDRESS", "OVERLAP",
        "INVALID_SIZE",   "INVALID_FORMAT", "INVALID_LAYOUT", "QUOTA",
        "IN_USE",         "INVALID_OUTPUT", "STALE_SEQUENCE", "INVALID_DAMAGE",
    };
    const uint32_t i = code - VDMABUF_RESP_ERR_UNSPEC;
    return i < std::size(names) ? names[i] : "?";
}

// Copies a fixed-size request out of the copy, zero-filling a short one (the
// validator rejects the length before looking at the missing fields).
template <typename T>
T parse(const std::vector<uint8_t>& buf, size_t len) {
    T out{};
    std::memcpy(&out, buf.data(), std::min(len, sizeof(T)));
    return out;
}

bool random_key(uint64_t& key) {
    do {
        if (::getrandom(&key, sizeof key, 0) != static_cast<ssize_t>(sizeof key))
            return false;
    } while (key == 0);
    return true;
}

// The feature an interactive request needs (§2), or kNoFeature.
uint32_t request_feature(uint32_t type) {
    switch (type) {
    case VDMABUF_CMD_OUTPUT: return VDMABUF_F_HOTPLUG;
    case VDMABUF_CMD_CURSOR_SET:
    case VDMABUF_CMD_CURSOR_MOVE: return VDMABUF_F_CURSOR;
    default: return kNoFeature;
    }
}

} // namespace

bool GuestSession::process_ctrlq() {
    Vring& vr = vrings_[VDMABUF_VQ_CTRL];
    if (closed_ || !vr.watching)
        return true;
    if (ctrl_resume_timer_ != 0)
        return true; // a kick while a turn is already scheduled: the timer takes it
    in_ctrl_ = true;
    bool pushed = false;
    // At most one ring's worth of chains per loop turn (§3.2): a guest that
    // refills its ring as fast as it is drained would otherwise hold the
    // single-threaded loop here and starve every other guest and consumer.
    uint32_t budget = vr.queue.num();
    bool more = false;
    for (;;) {
        if (budget == 0 && vr.queue.has_available()) {
            more = true;
            break;
        }
        const virtio::PopResult r = vr.queue.pop(ctrl_chain_);
        if (r == virtio::PopResult::empty) {
            if (vr.queue.enable_notifications())
                continue;
            break;
        }
        if (r == virtio::PopResult::broken_queue) {
            (void)queue_broken(vr, VDMABUF_VQ_CTRL);
            pushed = true; // not an idle kick: the broken queue was counted
            break;
        }
        pushed = true;
        if (budget > 0)
            --budget;
        if (r == virtio::PopResult::bad_chain) {
            vr.queue.push(ctrl_chain_.head(), 0);
            ++counters_.bad_chains;
            continue;
        }
        handle_ctrl_chain(ctrl_chain_);
    }
    in_ctrl_ = false;
    if (pushed)
        notify(VDMABUF_VQ_CTRL);
    flush_events(); // RELEASE/REFRESH queued by the hub meanwhile
    if (more && !closed_ && vr.watching)
        resume_ctrlq_next_turn();
    return pushed;
}

void GuestSession::resume_ctrlq_next_turn() {
    // Chains are left on the ring, and notifications may be suppressed (no kick
    // will come for them): a 0 ms timer runs after what is ready in this turn.
    ++counters_.ctrlq_yields;
    vrings_[VDMABUF_VQ_CTRL].queue.disable_notifications();
    ctrl_resume_timer_ = loop_.add_timer_ms(0, [this] {
        ctrl_resume_timer_ = 0;
        (void)process_ctrlq();
    });
}

void GuestSession::handle_ctrl_chain(virtio::Chain& chain) {
    virtio::DeviceQueue& queue = vrings_[VDMABUF_VQ_CTRL].queue;
    const size_t segments = chain.readable().size() + chain.writable().size();
    if (chain.writable_len() < sizeof(vdmabuf_resp) || segments > kMaxChainSegments) {
        if (should_log(++counters_.bad_chains))
            VDM_WARN("guest %u '%s': ctrl chain with %zu writable bytes, %zu descriptors "
                     "returned unexecuted",
                     ids_.guest, name_.c_str(), chain.writable_len(), segments);
        queue.push(chain.head(), 0);
        return;
    }

    const size_t len = chain.read(0, request_.data(), std::min(chain.readable_len(), request_.size()));
    // Shorter than a header: the error names request 0, tag 0 (§7), not whatever
    // the few bytes that came would spell.
    const vdmabuf_hdr hdr = len < sizeof(vdmabuf_hdr) ? vdmabuf_hdr{} : parse<vdmabuf_hdr>(request_, len);

    ValidationResult result;
    union {
        vdmabuf_resp plain;
        vdmabuf_resp_hello hello;
    } resp{};
    size_t resp_len = sizeof(vdmabuf_resp);
    Presentation presentation;
    bool presented = false;
    bool hello_ok = false;
    const uint32_t feature = request_feature(hdr.type);

    if (len < sizeof(vdmabuf_hdr)) {
        result = {VDMABUF_RESP_ERR_MALFORMED, 0};
    } else if (hdr.type == VDMABUF_CMD_HELLO) {
        result = do_hello(len, resp.hello);
        if (result.ok()) {
            resp_len = sizeof(vdmabuf_resp_hello);
            hello_ok = true;
        }
    } else if (hdr.type != VDMABUF_CMD_EXPORT && hdr.type != VDMABUF_CMD_PRESENT &&
               hdr.type != VDMABUF_CMD_UNEXPORT && feature == kNoFeature) {
        result = {VDMABUF_RESP_ERR_MALFORMED, 0};
    } else if (feature != kNoFeature && !(features() & (1ull << feature))) {
        // §2: a request of a feature that was not negotiated is an unknown type.
        result = {VDMABUF_RESP_ERR_MALFORMED, 0};
    } else if (!ready_) {
        result = {VDMABUF_RESP_ERR_NOT_READY, 0};
    } else if (hdr.type == VDMABUF_CMD_EXPORT) {
        result = do_export(len);
    } else if (hdr.type == VDMABUF_CMD_PRESENT) {
        result = do_present(len, presentation);
        presented = result.ok();
    } else if (hdr.type == VDMABUF_CMD_UNEXPORT) {
        result = do_unexport(len);
    } else {
        result = validate_session_request(hdr.type, len);
    }

    if (hello_ok) {
        resp.hello.hdr = {VDMABUF_RESP_OK_HELLO, 0, hdr.tag};
    } else {
        resp.plain.hdr = {result.code, 0, hdr.tag};
        resp.plain.request = hdr.type;
        resp.plain.detail = result.detail;
        if (!result.ok())
            log_request_error(hdr.type, hdr.tag, result);
    }
    (void)chain.write(&resp, resp_len);
    queue.push(chain);

    // After the response is in the ring: the hub may call back (release(), refresh())
    // synchronously; those only queue events while in_ctrl_ is set.
    if (hello_ok)
        hub_.guest_added(*this);
    if (presented)
        hub_.presented(*this, presentation);
    if (feature != kNoFeature && result.ok())
        apply_session_request(hdr.type, len);
}

ValidationResult GuestSession::do_hello(size_t len, vdmabuf_resp_hello& resp) {
    const auto cmd = parse<vdmabuf_cmd_hello>(request_, len);
    ValidationResult r = validate_hello(cmd, len, ready_);
    if (!r.ok())
        return r;
    uint64_t key = 0;
    if (!random_key(key)) {
        VDM_ERRNO("guest: getrandom for the HELLO key");
        return {VDMABUF_RESP_ERR_UNSPEC, 0};
    }
    // Bits the device does not know are ignored, so newer drivers can ask.
    if (len == sizeof(vdmabuf_cmd_hello_features))
        hello_features_ = parse<vdmabuf_cmd_hello_features>(request_, len).features;
    ids_ = {g_next_guest_id++, key};
    name_ = hello_name(cmd);
    if (name_.empty())
        name_ = "guest" + std::to_string(ids_.guest);
    ready_ = true;
    sequences_ = {};
    resp.magic = VDMABUF_MAGIC;
    resp.version = VDMABUF_VERSION;
    resp.guest = ids_.guest;
    resp.max_buffers = opts_.max_buffers;
    resp.key = ids_.key;
    resp.max_extents = VDMABUF_MAX_EXTENTS;
    resp.max_damage = VDMABUF_MAX_DAMAGE;
    resp.max_outputs = VDMABUF_MAX_OUTPUTS;
    resp.features = features();
    VDM_INFO("guest %u '%s': ready (connection %u), features 0x%llx (from %s)", ids_.guest,
             name_.c_str(), connection_, static_cast<unsigned long long>(resp.features),
             hello_features_ ? "HELLO" : "virtio");
    return r;
}

ValidationResult GuestSession::do_export(size_t len) {
    const auto cmd = parse<vdmabuf_cmd_export>(request_, len);
    size_t n = 0;
    if (len > sizeof cmd)
        n = std::min<size_t>((len - sizeof cmd) / sizeof(vdmabuf_extent), VDMABUF_MAX_EXTENTS);
    extents_.resize(n); // within the reserved capacity
    std::memcpy(extents_.data(), request_.data() + sizeof cmd, n * sizeof(vdmabuf_extent));

    std::array<GpaRange, 6> rings;
    const size_t n_rings = ring_ranges(rings);
    const ExportContext ctx{ids_, table_, memory_, std::span(rings.data(), n_rings),
                            opts_.max_buffers};
    ValidationResult r = validate_export(cmd, extents_, len, ctx, scratch_);
    if (!r.ok())
        return r;

    Buffer buf;
    buf.id = BufferId::from_wire(cmd.id);
    buf.fourcc = cmd.fourcc;
    buf.width = cmd.width;
    buf.height = cmd.height;
    buf.n_planes = cmd.n_planes;
    buf.modifier = cmd.modifier;
    std::copy(std::begin(cmd.planes), std::end(cmd.planes), buf.planes.begin());
    buf.size = cmd.size;
    buf.extents.reserve(extents_.size());
    std::vector<GpaRange> ranges;
    ranges.reserve(extents_.size());
    for (const vdmabuf_extent& e : extents_) {
        // Validated to lie in one region, so this cannot fail; stay defensive.
        const auto file = memory_.gpa_to_file(e.addr, e.len);
        if (!file)
            return {VDMABUF_RESP_ERR_INVALID_ADDRESS, 0};
        buf.extents.push_back({file->fd, file->offset, e.len});
        ranges.push_back({e.addr, e.len});
    }
    BufferTable::Entry& entry = table_.insert(std::move(buf), ranges);
    ++counters_.exports;
    VDM_DEBUG("guest %u: EXPORT %u %s %ux%u, %" PRIu64 " bytes in %zu extents", ids_.guest,
              cmd.id.counter, format_name(cmd.fourcc).c_str(), cmd.width, cmd.height, cmd.size,
              extents_.size());
    hub_.buffer_added(*this, entry.buffer);
    return r;
}

ValidationResult GuestSession::do_present(size_t len, Presentation& p) {
    const auto cmd = parse<vdmabuf_cmd_present>(request_, len);
    ValidationResult r = validate_present(cmd, len, ids_, table_, sequences_);
    if (!r.ok())
        return r;
    BufferTable::Entry* e = table_.find(cmd.id.counter);
    e->in_flight = true;
    e->output = cmd.output;
    e->sequence = cmd.sequence;
    ++in_flight_;
    sequences_.last[cmd.output] = cmd.sequence;
    sequences_.seen |= 1u << cmd.output;
    ++counters_.presents;

    p.id = BufferId::from_wire(cmd.id);
    p.output = cmd.output;
    p.sequence = cmd.sequence;
    p.guest_time_ns = cmd.guest_time_ns;
    p.host_time_ns = now_ns();
    p.n_damage = cmd.n_damage;
    p.damage = {};
    std::copy_n(cmd.damage, cmd.n_damage, p.damage.begin()); // unused ones stay zero
    return r;
}

ValidationResult GuestSession::do_unexport(size_t len) {
    const auto cmd = parse<vdmabuf_cmd_unexport>(request_, len);
    ValidationResult r = validate_unexport(cmd, len, ids_, table_);
    if (!r.ok())
        return r;
    // Consumers hear BUFFER_GONE before the guest may reuse the pages (RESP_OK).
    hub_.buffer_removed(*this, table_.find(cmd.id.counter)->buffer);
    table_.erase(cmd.id.counter);
    ++counters_.unexports;
    return r;
}

void GuestSession::log_request_error(uint32_t type, uint64_t tag, const ValidationResult& r) {
    const uint32_t i = r.code - VDMABUF_RESP_ERR_UNSPEC;
    uint64_t count = 1;
    if (i < std::size(counters_.errors))
        count = ++counters_.errors[i];
    if (!should_log(count))
        return;
    VDM_WARN("guest %u '%s': %s (0x%04x, tag %" PRIu64 ") -> ERR_%s, field offset %u%s",
             ids_.guest, name_.c_str(), request_name(type), type, tag, error_name(r.code),
             r.detail, count > 10 ? " (repeated; logging every 1000th)" : "");
}

} // namespace vdmabuf::backend
