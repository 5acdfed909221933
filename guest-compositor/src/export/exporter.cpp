#define VDM_LOG_SCOPE "export"
#include "export/exporter.hpp"

#include "export/damage_rects.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::compositor {

namespace {

uint64_t responses(const frontend::DeviceCounters& c) {
    return c.responses_ok + c.responses_error + c.responses_invalid;
}

} // namespace

Exporter::~Exporter() { unlock_all(); }

void Exporter::unlock_all() {
    // Outputs (and their swapchains) are gone by now; whatever is still locked
    // belongs to nobody else. Unlocking may destroy buffers, which call retire().
    closing_ = true;
    while (!in_flight_.empty())
        unlock(in_flight_.begin()->first);
}

bool Exporter::ensure_exported(frontend::Device& device, ExportBuffer& buffer) {
    if (buffer.exported)
        return true;
    if (buffer.generation() != link_.generation())
        return false; // made in an earlier session: the output reallocates
    uint64_t tag = 0;
    if (!buffer.export_to(device, buffer.id, &tag)) {
        VDM_ERRNO("EXPORT of a %ux%u buffer", buffer.desc().width, buffer.desc().height);
        return false;
    }
    buffer.exported = true;
    exporting_[tag] = &buffer;
    ++counters_.exports;
    VDM_DEBUG("EXPORT buffer %u (%ux%u, stride %u)", buffer.id.counter, buffer.desc().width,
              buffer.desc().height, buffer.desc().planes[0].stride);
    return true;
}

bool Exporter::present(ExportBuffer& buffer, uint32_t output, const pixman_region32_t* damage,
                       uint64_t guest_time_ns) {
    frontend::Device* device = link_.device();
    if (!device || lost_generation_ == link_.generation() || output >= VDMABUF_MAX_OUTPUTS)
        return false;
    if (in_flight_.count(buffer.id.counter) && buffer.exported) {
        // Cannot happen while the lock holds the swapchain slot; never present twice.
        VDM_ERROR("buffer %u committed while its presentation is in flight", buffer.id.counter);
        return false;
    }
    if (!ensure_exported(*device, buffer)) {
        ++counters_.present_failures;
        return false;
    }
    const DamageRects rects = damage_to_rects(damage, static_cast<int32_t>(buffer.desc().width),
                                              static_cast<int32_t>(buffer.desc().height));
    const uint64_t sequence = ++sequence_[output];
    uint64_t tag = 0;
    if (!device->present(buffer.id, output, sequence, guest_time_ns, rects.rects, &tag)) {
        VDM_ERRNO("PRESENT of buffer %u on output %u", buffer.id.counter, output);
        ++counters_.present_failures;
        return false;
    }
    wlr_buffer_lock(buffer.base());
    in_flight_[buffer.id.counter] = InFlight{buffer.base(), output, sequence, tag};
    ++counters_.presents;
    VDM_DEBUG("PRESENT buffer %u output %u seq %llu damage %zu rect(s)%s", buffer.id.counter,
              output, static_cast<unsigned long long>(sequence), rects.rects.size(),
              rects.rects.empty() ? " (whole frame)" : "");
    return true;
}

size_t Exporter::in_flight(uint32_t output) const {
    size_t n = 0;
    for (const auto& [counter, entry] : in_flight_)
        n += entry.output == output;
    return n;
}

void Exporter::unlock(uint32_t counter) {
    auto it = in_flight_.find(counter);
    if (it == in_flight_.end())
        return;
    const InFlight entry = it->second;
    in_flight_.erase(it);
    wlr_buffer_unlock(entry.buffer); // may destroy it (-> retire)
    if (on_buffer_free)
        on_buffer_free(entry.output);
}

void Exporter::handle_release(const vdmabuf_id& id, uint64_t sequence, uint32_t output,
                              uint32_t reason) {
    auto it = in_flight_.find(id.counter);
    if (it == in_flight_.end() || it->second.sequence != sequence) {
        VDM_WARN("RELEASE of buffer %u seq %llu that is not in flight", id.counter,
                 static_cast<unsigned long long>(sequence));
        return;
    }
    ++counters_.releases;
    VDM_TRACE("RELEASE buffer %u output %u seq %llu reason %u", id.counter, output,
              static_cast<unsigned long long>(sequence), reason);
    unlock(id.counter);
}

void Exporter::handle_error(uint32_t request_type, uint32_t error_code, uint64_t tag) {
    VDM_WARN("device refused request 0x%04x (tag %llu): error 0x%04x", request_type,
             static_cast<unsigned long long>(tag), error_code);
    if (request_type == VDMABUF_CMD_EXPORT) {
        auto it = exporting_.find(tag);
        if (it != exporting_.end()) {
            it->second->exported = false; // its PRESENT fails too and unlocks it
            exporting_.erase(it);
        }
    } else if (request_type == VDMABUF_CMD_PRESENT) {
        for (const auto& [counter, entry] : in_flight_) {
            if (entry.tag == tag) {
                unlock(counter);
                break;
            }
        }
    } else if (request_type == VDMABUF_CMD_UNEXPORT) {
        for (auto& r : retiring_) {
            if (r.tag == tag) {
                // Still exported: the host may read the pages, so never reuse them.
                (void)r.allocation.release();
                break;
            }
        }
    }
}

void Exporter::retire(ExportBuffer& buffer) {
    for (auto it = exporting_.begin(); it != exporting_.end();) {
        it = it->second == &buffer ? exporting_.erase(it) : std::next(it);
    }
    frontend::Device* device = link_.device();
    if (!buffer.exported || buffer.generation() != link_.generation() || !device ||
        lost_generation_ == link_.generation()) {
        return; // never exported, or its session ended: the pages are free
    }
    if (closing_) {
        // Kept until the session ends (never answered: collect_retired() keeps it).
        retiring_.push_back(Retiring{buffer.take_allocation(), 0, UINT64_MAX});
        return;
    }
    uint64_t tag = 0;
    if (!device->unexport(buffer.id, &tag)) {
        VDM_ERRNO("UNEXPORT of buffer %u; leaking its pages", buffer.id.counter);
        (void)buffer.take_allocation().release();
        return;
    }
    ++counters_.unexports;
    VDM_DEBUG("UNEXPORT buffer %u", buffer.id.counter);
    retiring_.push_back(Retiring{buffer.take_allocation(), tag, device->counters().requests_sent});
}

void Exporter::collect_retired() {
    frontend::Device* device = link_.device();
    if (!device || retiring_.empty())
        return;
    // The device answers the control queue in order, one response per request.
    const uint64_t answered = responses(device->counters());
    std::erase_if(retiring_, [&](const Retiring& r) { return answered >= r.answered_after; });
}

void Exporter::handle_lost() {
    // The session is over: the device retired every buffer without RELEASE (§9).
    lost_generation_ = link_.generation();
    exporting_.clear();
    retiring_.clear();
    while (!in_flight_.empty())
        unlock(in_flight_.begin()->first);
}

} // namespace vdmabuf::compositor
