// The export side of one of wlroots' GBM buffers (the GL path): its dma-buf, one
// LINEAR plane, EXPORTed through the kernel device (Device::export_dmabuf), which
// attaches it and keeps its own reference until UNEXPORT. The GbmBuffer lives as long
// as the wlr_buffer it hangs on.
#pragma once

#include "export/export_buffer.hpp"

namespace vdmabuf::compositor {

class GbmBuffer final : public ExportBuffer {
public:
    // Hangs a GbmBuffer on `buffer` (a dma-buf wlr_buffer). False (logged) when its
    // layout is not one vdmabuf can export: not one LINEAR plane.
    [[nodiscard]] static bool attach_to(wlr_buffer* buffer, uint64_t generation,
                                        RetireFn on_retire);

    [[nodiscard]] bool export_to(frontend::Device& device, vdmabuf_id& out_id,
                                 uint64_t* tag) override;

private:
    GbmBuffer(int fd, uint64_t generation, const frontend::BufferDesc& desc, RetireFn on_retire)
        : ExportBuffer(generation, desc, std::move(on_retire)), fd_(fd) {}
    ~GbmBuffer() override = default;
    void detached() override { delete this; }

    int fd_; // wlroots' dma-buf fd of the buffer: borrowed, open while the buffer lives
};

} // namespace vdmabuf::compositor
