// Allocation of the kernel device: a dma-buf the driver allocated (ALLOC), mapped
// read-write. Its pages are guest-physical memory only the driver knows, so
// extents() is empty; the driver keeps exported pages alive by itself, so
// destroying an exported KernelAllocation is safe (unlike virtio-user pages).
#pragma once

#include <vdmabuf/frontend/allocation.hpp>
#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::frontend {

class KernelAllocation final : public Allocation {
public:
    KernelAllocation(UniqueFd dmabuf, Mapping mapping, const void* device)
        : dmabuf_(std::move(dmabuf)), mapping_(std::move(mapping)), device_(device) {}

    [[nodiscard]] uint8_t* data() const override { return mapping_.bytes(); }
    [[nodiscard]] uint64_t size() const override { return mapping_.size(); }
    [[nodiscard]] std::span<const vdmabuf_extent> extents() const override { return {}; }

    [[nodiscard]] int dmabuf_fd() const { return dmabuf_.get(); }
    [[nodiscard]] const void* device() const { return device_; }

private:
    UniqueFd dmabuf_;
    Mapping mapping_;
    const void* device_;
};

} // namespace vdmabuf::frontend
