// A wlr_buffer whose pixels live in guest memory: an Allocation of libvdmabuf-guest.
// pixman renders straight into it (WLR_BUFFER_CAP_DATA_PTR), and the same pages are
// what EXPORT hands to the host, so a frame is never copied inside the guest.
#pragma once

#include "wlr/wlr.hpp"

#include <vdmabuf/frontend/allocation.hpp>
#include <vdmabuf/frontend/device.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace vdmabuf::compositor {

class GuestBuffer {
public:
    // Called once from the wlr_buffer's destroy (no locks left, producer dropped it):
    // may take the allocation (take_allocation) to keep the pages until UNEXPORT.
    using RetireFn = std::function<void(GuestBuffer&)>;

    // Allocates width x height of `fourcc` (single plane) in the device's guest memory.
    // nullptr (logged) on failure. The caller owns one reference: wlr_buffer_drop().
    [[nodiscard]] static GuestBuffer* create(frontend::Device& device, uint64_t generation,
                                             int width, int height, uint32_t fourcc,
                                             RetireFn on_retire);
    // The GuestBuffer behind a wlr_buffer, or nullptr if another allocator made it.
    [[nodiscard]] static GuestBuffer* from_wlr(wlr_buffer* buffer);

    GuestBuffer(const GuestBuffer&) = delete;
    GuestBuffer& operator=(const GuestBuffer&) = delete;

    [[nodiscard]] wlr_buffer* base() { return &hook_.base; }
    [[nodiscard]] const frontend::BufferDesc& desc() const { return desc_; }
    [[nodiscard]] const frontend::Allocation* allocation() const { return allocation_.get(); }
    [[nodiscard]] std::unique_ptr<frontend::Allocation> take_allocation() {
        return std::move(allocation_);
    }
    // The device session (DeviceLink generation) whose memory holds the pages.
    [[nodiscard]] uint64_t generation() const { return generation_; }

    // EXPORT state, kept by the Exporter.
    bool exported = false;
    vdmabuf_id id{};

private:
    GuestBuffer(std::unique_ptr<frontend::Allocation> allocation, uint64_t generation,
                const frontend::BufferDesc& desc, RetireFn on_retire);
    ~GuestBuffer() = default;

    static void handle_destroy(wlr_buffer* buffer);
    static bool handle_begin_access(wlr_buffer* buffer, uint32_t flags, void** data,
                                    uint32_t* format, size_t* stride);
    static void handle_end_access(wlr_buffer* buffer);
    static const wlr_buffer_impl impl_;

    struct Hook {
        wlr_buffer base;
        GuestBuffer* self;
    };
    Hook hook_{};
    std::unique_ptr<frontend::Allocation> allocation_;
    uint64_t generation_;
    frontend::BufferDesc desc_;
    RetireFn on_retire_;
};

} // namespace vdmabuf::compositor
