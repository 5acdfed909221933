// Owns the guest memory and hands out buffer pages as Allocations. Shared: the Device
// holds it and so does every Allocation, so pages can be returned (and stay mapped)
// in any destruction order.
#pragma once

#include "guest_memory_file.hpp"
#include "page_allocator.hpp"

#include <vdmabuf/frontend/allocation.hpp>

#include <memory>

namespace vdmabuf::frontend {

class BufferPool : public std::enable_shared_from_this<BufferPool> {
public:
    // Buffer pages are [pool_offset, pool_offset + pool_pages * 4096) of `memory`.
    [[nodiscard]] static std::shared_ptr<BufferPool> create(std::unique_ptr<GuestMemoryFile> memory,
                                                            uint64_t pool_offset,
                                                            uint64_t pool_pages, bool scattered);

    // size rounded up to pages; nullptr with errno ENOMEM / EINVAL.
    [[nodiscard]] std::unique_ptr<Allocation> allocate(uint64_t size);
    // Called by the Allocation's destructor.
    void release(std::span<const PageRun> runs);

    [[nodiscard]] GuestMemoryFile& memory() const { return *memory_; }
    [[nodiscard]] const PageAllocator& pages() const { return pages_; }
    [[nodiscard]] bool scattered() const { return scattered_; }

private:
    BufferPool(std::unique_ptr<GuestMemoryFile> memory, uint64_t first_page, uint64_t pages,
               bool scattered)
        : memory_(std::move(memory)), pages_(first_page, pages), scattered_(scattered) {}

    std::unique_ptr<GuestMemoryFile> memory_;
    PageAllocator pages_; // page indices from the start of guest memory
    bool scattered_;
};

} // namespace vdmabuf::frontend
