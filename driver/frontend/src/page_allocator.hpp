// First-fit allocator of page indices over a free-run list, for buffer pages in guest
// memory. Pure bookkeeping: it never touches the memory. Contiguous allocations are
// one run; scattered ones are many short runs with a free page between them, so tests
// exercise multi-extent buffers. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vdmabuf::frontend {

struct PageRun {
    uint64_t first = 0; // page index
    uint64_t count = 0; // pages
};

class PageAllocator {
public:
    PageAllocator(uint64_t first_page, uint64_t page_count);

    // One run of `pages` pages (first fit). False when no free run is long enough.
    [[nodiscard]] bool allocate_contiguous(uint64_t pages, PageRun& out);
    // At most `max_runs` runs of 1-2 pages (longer when needed to stay under
    // max_runs), each followed by a page left free. `out` is replaced. False (nothing
    // taken) when it cannot be done.
    [[nodiscard]] bool allocate_scattered(uint64_t pages, uint32_t max_runs,
                                          std::vector<PageRun>& out);
    // Returns a run taken earlier. A run that is out of range or overlaps free pages
    // (a caller bug) is refused and logged.
    bool free(PageRun run);

    [[nodiscard]] uint64_t free_pages() const { return free_pages_; }
    [[nodiscard]] uint64_t total_pages() const { return end_ - begin_; }
    [[nodiscard]] size_t free_run_count() const { return free_.size(); }

private:
    // Plans a scattered allocation with pieces of `base` / `base + 1` pages.
    bool plan_scattered(uint64_t pages, uint64_t base, std::vector<PageRun>& out) const;
    void take(PageRun run); // removes a run that lies inside one free run

    uint64_t begin_;
    uint64_t end_;
    uint64_t free_pages_;
    std::vector<PageRun> free_; // sorted by first, never adjacent or overlapping
};

} // namespace vdmabuf::frontend
