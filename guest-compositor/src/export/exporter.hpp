// Export discipline (device spec §6): every ExportBuffer is EXPORTed once per device
// session, lazily on its first presentation; every committed output frame is one
// PRESENT carrying that frame's damage; from PRESENT to its RELEASE the exporter
// holds a wlr_buffer_lock, so the output's swapchain cannot hand the buffer out for
// rendering again. A buffer that wlroots drops (resized or destroyed output) is
// destroyed only after its last unlock, i.e. after RELEASE; it is then UNEXPORTed
// and its pages (guest memory; a dma-buf's the driver holds itself) kept until the
// device has answered.
#pragma once

#include "export/device_link.hpp"
#include "export/export_buffer.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace vdmabuf::compositor {

struct ExporterCounters {
    uint64_t exports = 0;
    uint64_t presents = 0;
    uint64_t releases = 0;
    uint64_t unexports = 0;
    uint64_t present_failures = 0;
};

class Exporter {
public:
    explicit Exporter(DeviceLink& link) : link_(link) {}
    ~Exporter();
    Exporter(const Exporter&) = delete;
    Exporter& operator=(const Exporter&) = delete;

    // Called when one of an output's buffers became free again (RELEASE, failed
    // PRESENT, device loss), so the output can retry a skipped frame.
    std::function<void(uint32_t output)> on_buffer_free;

    // PRESENTs `buffer` (a just committed frame) on `output` with `damage` (buffer
    // coordinates; null = whole frame). False if it could not be sent; the buffer is
    // then not locked.
    bool present(ExportBuffer& buffer, uint32_t output, const pixman_region32_t* damage,
                 uint64_t guest_time_ns);

    // ExportBuffer::RetireFn.
    void retire(ExportBuffer& buffer);

    // DeviceLink events.
    void handle_release(const vdmabuf_id& id, uint64_t sequence, uint32_t output,
                        uint32_t reason);
    void handle_error(uint32_t request_type, uint32_t error_code, uint64_t tag);
    void handle_lost();
    void collect_retired(); // frees pages whose UNEXPORT the device has answered
    // Shutdown: lets go of every in-flight buffer. From then on retire() sends no
    // UNEXPORT (§6.4: ERR_IN_USE before the RELEASE the host may still owe);
    // ending the session retires the buffers (§9), and their pages stay with
    // the exporter until it goes.
    void unlock_all();

    [[nodiscard]] const ExporterCounters& counters() const { return counters_; }
    [[nodiscard]] size_t in_flight() const { return in_flight_.size(); }
    // Presented on `output` and not yet released.
    [[nodiscard]] size_t in_flight(uint32_t output) const;

private:
    bool ensure_exported(frontend::Device& device, ExportBuffer& buffer);
    void unlock(uint32_t counter);

    struct InFlight {
        wlr_buffer* buffer;
        uint32_t output;
        uint64_t sequence;
        uint64_t tag;
    };
    struct Retiring {
        std::unique_ptr<frontend::Allocation> allocation;
        uint64_t tag;
        uint64_t answered_after; // device responses that mean the UNEXPORT was answered
    };

    DeviceLink& link_;
    std::unordered_map<uint32_t, InFlight> in_flight_; // by ID counter
    std::unordered_map<uint64_t, ExportBuffer*> exporting_; // EXPORT tag -> buffer
    std::vector<Retiring> retiring_;
    std::array<uint64_t, VDMABUF_MAX_OUTPUTS> sequence_{};
    uint64_t lost_generation_ = 0; // the session that ended last
    bool closing_ = false;         // unlock_all() was called
    ExporterCounters counters_;
};

} // namespace vdmabuf::compositor
