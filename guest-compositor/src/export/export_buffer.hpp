// An output buffer as the Exporter sees it, whatever holds its pixels: guest memory
// (GuestBuffer, the pixman path) or a dma-buf (GbmBuffer, the GL path). It hangs on
// its wlr_buffer as a wlr_addon, so it is found from any wlr_buffer the output
// commits, and it is retired (RetireFn) when wlroots destroys that buffer: after its
// last unlock, i.e. after RELEASE (see exporter.hpp).
#pragma once

#include "wlr/wlr.hpp"

#include <vdmabuf/frontend/allocation.hpp>
#include <vdmabuf/frontend/device.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace vdmabuf::compositor {

class ExportBuffer {
public:
    // Called once, while the wlr_buffer is being destroyed (no locks left, the producer
    // dropped it): may take the allocation (take_allocation) until UNEXPORT is answered.
    using RetireFn = std::function<void(ExportBuffer&)>;

    // The ExportBuffer on a wlr_buffer, or nullptr (a buffer of another allocator).
    [[nodiscard]] static ExportBuffer* from_wlr(wlr_buffer* buffer);

    ExportBuffer(const ExportBuffer&) = delete;
    ExportBuffer& operator=(const ExportBuffer&) = delete;

    [[nodiscard]] wlr_buffer* base() const { return base_; }
    [[nodiscard]] const frontend::BufferDesc& desc() const { return desc_; }
    // The device session (DeviceLink generation) the buffer was made in.
    [[nodiscard]] uint64_t generation() const { return generation_; }

    // Queues EXPORT of this buffer's memory (Device::export_buffer / export_dmabuf).
    [[nodiscard]] virtual bool export_to(frontend::Device& device, vdmabuf_id& out_id,
                                         uint64_t* tag) = 0;
    // What must not be reused before the device has answered UNEXPORT: guest-memory
    // pages. Null where the device keeps its own reference (a dma-buf).
    [[nodiscard]] virtual std::unique_ptr<frontend::Allocation> take_allocation() {
        return nullptr;
    }

    // EXPORT state, kept by the Exporter.
    bool exported = false;
    vdmabuf_id id{};

protected:
    ExportBuffer(uint64_t generation, const frontend::BufferDesc& desc, RetireFn on_retire);
    virtual ~ExportBuffer();
    // Hangs this on `buffer` (initialized by now); from_wlr() finds it from then on.
    void attach(wlr_buffer* buffer);
    // After the retire: the wlr_buffer is going away. GbmBuffer deletes itself here;
    // GuestBuffer, whose wlr_buffer is its own member, in the buffer's destroy.
    virtual void detached() {}

private:
    static void handle_addon_destroy(wlr_addon* addon);
    static const wlr_addon_interface addon_impl_;

    struct Hook {
        wlr_addon addon;
        ExportBuffer* self;
    };
    Hook hook_{};
    wlr_buffer* base_ = nullptr;
    uint64_t generation_;
    frontend::BufferDesc desc_;
    RetireFn on_retire_;
};

} // namespace vdmabuf::compositor
