#include "guest/buffer_table.hpp"

namespace vdmabuf::backend {

BufferTable::BufferTable(uint32_t max_buffers) {
    entries_.reserve(max_buffers);
}

BufferTable::Entry* BufferTable::find(uint32_t counter) {
    auto it = entries_.find(counter);
    return it == entries_.end() ? nullptr : &it->second;
}

const BufferTable::Entry* BufferTable::find(uint32_t counter) const {
    auto it = entries_.find(counter);
    return it == entries_.end() ? nullptr : &it->second;
}

bool BufferTable::overlaps(uint64_t start, uint64_t len) const {
    if (len == 0)
        return false;
    const uint64_t end = start + len;
    // The stored intervals are disjoint, so the one starting last before `end` also
    // ends last among those: it is the only candidate.
    auto it = intervals_.lower_bound(end);
    if (it == intervals_.begin())
        return false;
    --it;
    return it->second.end > start;
}

BufferTable::Entry& BufferTable::insert(Buffer&& buffer, std::span<const GpaRange> ranges) {
    const uint32_t counter = buffer.id.counter;
    Entry& e = entries_[counter];
    e.buffer = std::move(buffer);
    e.ranges.assign(ranges.begin(), ranges.end());
    e.in_flight = false;
    for (const GpaRange& r : e.ranges)
        intervals_[r.start] = Interval{r.end(), counter};
    return e;
}

void BufferTable::erase(uint32_t counter) {
    auto it = entries_.find(counter);
    if (it == entries_.end())
        return;
    for (const GpaRange& r : it->second.ranges) {
        auto iv = intervals_.find(r.start);
        if (iv != intervals_.end() && iv->second.counter == counter)
            intervals_.erase(iv);
    }
    entries_.erase(it);
}

void BufferTable::clear() {
    entries_.clear();
    intervals_.clear();
}

void BufferTable::for_each(const std::function<void(const Entry&)>& fn) const {
    for (const auto& [counter, e] : entries_)
        fn(e);
}

void BufferTable::for_each(const std::function<void(Entry&)>& fn) {
    for (auto& [counter, e] : entries_)
        fn(e);
}

} // namespace vdmabuf::backend
