#define VDM_LOG_SCOPE "guest-mem"
#include "page_allocation.hpp"

#include "memory_layout.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <sys/mman.h>

namespace vdmabuf::frontend {

PageAllocation::PageAllocation(std::shared_ptr<BufferPool> pool, std::vector<PageRun> runs)
    : pool_(std::move(pool)), runs_(std::move(runs)), exports_(std::make_shared<uint32_t>(0)) {
    const GuestMemoryFile& mem = pool_->memory();
    extents_.reserve(runs_.size());
    for (const PageRun& r : runs_) {
        extents_.push_back({mem.gpa(r.first * kPageSize), r.count * kPageSize});
        size_ += r.count * kPageSize;
    }
}

std::unique_ptr<PageAllocation> PageAllocation::create(std::shared_ptr<BufferPool> pool,
                                                       std::vector<PageRun> runs) {
    std::unique_ptr<PageAllocation> a(new PageAllocation(std::move(pool), std::move(runs)));
    const GuestMemoryFile& mem = a->pool_->memory();
    if (a->runs_.size() == 1) {
        a->data_ = mem.ptr(a->runs_[0].first * kPageSize);
        return a;
    }
    // Reserve the range, then map each run's file pages over its place in it.
    a->view_ = Mapping::map(-1, a->size_, 0, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
    if (!a->view_)
        return nullptr; // the destructor returns the runs
    uint64_t at = 0;
    for (const PageRun& r : a->runs_) {
        const uint64_t len = r.count * kPageSize;
        void* p = ::mmap(a->view_.bytes() + at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                         mem.fd(), static_cast<off_t>(r.first * kPageSize));
        if (p == MAP_FAILED) {
            VDM_ERRNO("mmap of a scattered buffer's run (%zu runs)", a->runs_.size());
            errno = ENOMEM;
            return nullptr;
        }
        at += len;
    }
    a->data_ = a->view_.bytes();
    return a;
}

PageAllocation::~PageAllocation() {
    view_.reset();
    if (*exports_) {
        // The host may still read these pages: never hand them out again.
        VDM_WARN("allocation of %llu bytes destroyed while exported; leaking its pages",
                 static_cast<unsigned long long>(size_));
        return;
    }
    pool_->release(runs_);
}

} // namespace vdmabuf::frontend
