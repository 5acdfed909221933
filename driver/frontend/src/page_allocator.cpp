#define VDM_LOG_SCOPE "guest-mem"
#include "page_allocator.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>

namespace vdmabuf::frontend {

PageAllocator::PageAllocator(uint64_t first_page, uint64_t page_count)
    : begin_(first_page), end_(first_page + page_count), free_pages_(page_count) {
    if (page_count)
        free_.push_back({first_page, page_count});
}

bool PageAllocator::allocate_contiguous(uint64_t pages, PageRun& out) {
    if (pages == 0)
        return false;
    for (const PageRun& r : free_) {
        if (r.count >= pages) {
            out = {r.first, pages};
            take(out);
            return true;
        }
    }
    return false;
}

bool PageAllocator::plan_scattered(uint64_t pages, uint64_t base,
                                   std::vector<PageRun>& out) const {
    out.clear();
    uint64_t need = pages;
    bool longer = false; // alternate base, base + 1
    for (const PageRun& r : free_) {
        if (r.count < std::min(base, need))
            continue; // holes too small for a piece would only add extents
        uint64_t pos = r.first;
        const uint64_t end = r.first + r.count;
        while (need && pos < end) {
            const uint64_t want = std::min(need, base + (longer ? 1 : 0));
            const uint64_t len = std::min(want, end - pos);
            out.push_back({pos, len});
            need -= len;
            pos += len + 1; // leave one page free behind every piece
            longer = !longer;
        }
        if (!need)
            return true;
    }
    return false;
}

bool PageAllocator::allocate_scattered(uint64_t pages, uint32_t max_runs,
                                       std::vector<PageRun>& out) {
    if (pages == 0 || max_runs == 0 || pages > free_pages_)
        return false;
    // Smallest piece size that can stay within max_runs; fragmentation may still push
    // the count over, then try longer pieces.
    uint64_t base = std::max<uint64_t>(1, (pages + max_runs - 1) / max_runs);
    for (;;) {
        if (!plan_scattered(pages, base, out))
            return false; // the free runs cannot hold it with the gaps
        if (out.size() <= max_runs)
            break;
        if (base >= pages)
            return false;
        base = std::min(pages, base * 2);
    }
    for (const PageRun& r : out)
        take(r);
    return true;
}

void PageAllocator::take(PageRun run) {
    auto it = std::upper_bound(free_.begin(), free_.end(), run.first,
                               [](uint64_t v, const PageRun& r) { return v < r.first; });
    // it-1 is the free run containing run.first (the caller guarantees one exists).
    --it;
    const PageRun whole = *it;
    const uint64_t head = run.first - whole.first;
    const uint64_t tail = whole.first + whole.count - (run.first + run.count);
    free_pages_ -= run.count;
    if (head && tail) {
        it->count = head;
        free_.insert(it + 1, PageRun{run.first + run.count, tail});
    } else if (head) {
        it->count = head;
    } else if (tail) {
        *it = {run.first + run.count, tail};
    } else {
        free_.erase(it);
    }
}

bool PageAllocator::free(PageRun run) {
    if (run.count == 0 || run.first < begin_ || run.first > end_ ||
        run.count > end_ - run.first) {
        VDM_ERROR("page allocator: freeing run [%llu, +%llu) out of range",
                  static_cast<unsigned long long>(run.first),
                  static_cast<unsigned long long>(run.count));
        return false;
    }
    auto next = std::upper_bound(free_.begin(), free_.end(), run.first,
                                 [](uint64_t v, const PageRun& r) { return v < r.first; });
    const bool overlaps_next = next != free_.end() && next->first < run.first + run.count;
    const bool overlaps_prev =
        next != free_.begin() && std::prev(next)->first + std::prev(next)->count > run.first;
    if (overlaps_next || overlaps_prev) {
        VDM_ERROR("page allocator: double free of run [%llu, +%llu)",
                  static_cast<unsigned long long>(run.first),
                  static_cast<unsigned long long>(run.count));
        return false;
    }
    free_pages_ += run.count;
    const bool join_prev =
        next != free_.begin() && std::prev(next)->first + std::prev(next)->count == run.first;
    const bool join_next = next != free_.end() && next->first == run.first + run.count;
    if (join_prev && join_next) {
        std::prev(next)->count += run.count + next->count;
        free_.erase(next);
    } else if (join_prev) {
        std::prev(next)->count += run.count;
    } else if (join_next) {
        next->first = run.first;
        next->count += run.count;
    } else {
        free_.insert(next, run);
    }
    return true;
}

} // namespace vdmabuf::frontend
