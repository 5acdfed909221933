// Allocation of the virtio-user device: runs of pages from a BufferPool. A scattered
// allocation gets its own contiguous CPU view: a reserved address range with each
// run's file pages mapped over it (MAP_FIXED), so data() is linear either way.
#pragma once

#include "buffer_pool.hpp"

#include <vdmabuf/shared/c_handle.hpp>

#include <memory>
#include <vector>

namespace vdmabuf::frontend {

class PageAllocation final : public Allocation {
public:
    // nullptr (logged) if the scattered view cannot be mapped; the runs are then
    // returned to the pool.
    [[nodiscard]] static std::unique_ptr<PageAllocation> create(std::shared_ptr<BufferPool> pool,
                                                                std::vector<PageRun> runs);
    ~PageAllocation() override;

    [[nodiscard]] uint8_t* data() const override { return data_; }
    [[nodiscard]] uint64_t size() const override { return size_; }
    [[nodiscard]] std::span<const vdmabuf_extent> extents() const override { return extents_; }

    [[nodiscard]] const BufferPool* pool() const { return pool_.get(); }
    // Live exports of these pages, shared with the Device's ID table: while non-zero
    // the pages are leaked rather than reused on destruction.
    [[nodiscard]] const std::shared_ptr<uint32_t>& export_count() const { return exports_; }

private:
    PageAllocation(std::shared_ptr<BufferPool> pool, std::vector<PageRun> runs);

    std::shared_ptr<BufferPool> pool_;
    std::vector<PageRun> runs_;
    std::vector<vdmabuf_extent> extents_;
    std::shared_ptr<uint32_t> exports_;
    Mapping view_; // scattered only
    uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
};

} // namespace vdmabuf::frontend
