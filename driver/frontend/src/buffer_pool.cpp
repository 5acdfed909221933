#define VDM_LOG_SCOPE "guest-mem"
#include "buffer_pool.hpp"

#include "memory_layout.hpp"
#include "page_allocation.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>

namespace vdmabuf::frontend {

std::shared_ptr<BufferPool> BufferPool::create(std::unique_ptr<GuestMemoryFile> memory,
                                               uint64_t pool_offset, uint64_t pool_pages,
                                               bool scattered) {
    if (!memory || pool_offset % kPageSize ||
        pool_offset + pool_pages * kPageSize > memory->size())
        return nullptr;
    return std::shared_ptr<BufferPool>(
        new BufferPool(std::move(memory), pool_offset / kPageSize, pool_pages, scattered));
}

std::unique_ptr<Allocation> BufferPool::allocate(uint64_t size) {
    if (size == 0 || size > memory_->size()) {
        errno = size ? ENOMEM : EINVAL;
        return nullptr;
    }
    const uint64_t pages = (size + kPageSize - 1) / kPageSize;
    std::vector<PageRun> runs;
    if (scattered_) {
        if (!pages_.allocate_scattered(pages, VDMABUF_MAX_EXTENTS, runs)) {
            errno = ENOMEM;
            return nullptr;
        }
    } else {
        PageRun run;
        if (!pages_.allocate_contiguous(pages, run)) {
            errno = ENOMEM;
            return nullptr;
        }
        runs.push_back(run);
    }
    return PageAllocation::create(shared_from_this(), std::move(runs));
}

void BufferPool::release(std::span<const PageRun> runs) {
    for (const PageRun& r : runs)
        pages_.free(r);
}

} // namespace vdmabuf::frontend
