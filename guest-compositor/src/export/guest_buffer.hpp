// A wlr_buffer whose pixels live in guest memory: an Allocation of libvdmabuf-guest.
// pixman renders straight into it (WLR_BUFFER_CAP_DATA_PTR), and the same pages are
// what EXPORT hands to the host, so a frame is never copied inside the guest.
#pragma once

#include "export/export_buffer.hpp"

#include <cstdint>
#include <memory>

namespace vdmabuf::compositor {

class GuestBuffer final : public ExportBuffer {
public:
    // Allocates width x height of `fourcc` (single plane) in the device's guest memory.
    // nullptr (logged) on failure. The caller owns one reference: wlr_buffer_drop().
    [[nodiscard]] static GuestBuffer* create(frontend::Device& device, uint64_t generation,
                                             int width, int height, uint32_t fourcc,
                                             RetireFn on_retire);

    [[nodiscard]] const frontend::Allocation* allocation() const { return allocation_.get(); }
    [[nodiscard]] bool export_to(frontend::Device& device, vdmabuf_id& out_id,
                                 uint64_t* tag) override;
    [[nodiscard]] std::unique_ptr<frontend::Allocation> take_allocation() override {
        return std::move(allocation_);
    }

private:
    GuestBuffer(std::unique_ptr<frontend::Allocation> allocation, uint64_t generation,
                const frontend::BufferDesc& desc, RetireFn on_retire);
    ~GuestBuffer() override = default;

    static GuestBuffer* from_own(wlr_buffer* buffer);
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
};

} // namespace vdmabuf::compositor
