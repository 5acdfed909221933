// One guest's live buffers, keyed by the counter of their ID, plus an interval map of
// the guest-physical ranges they cover so EXPORT can reject overlaps in O(log n).
// The table only stores what the validator already accepted; it never checks
// guest data itself.
#pragma once

#include "model.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

namespace vdmabuf::backend {

// [start, start + len) in guest-physical space; start + len does not wrap.
struct GpaRange {
    uint64_t start = 0;
    uint64_t len = 0;
    [[nodiscard]] uint64_t end() const { return start + len; }
};

class BufferTable {
public:
    struct Entry {
        Buffer buffer;
        std::vector<GpaRange> ranges; // the extents in guest-physical space
        bool in_flight = false;       // a PRESENT awaits its RELEASE
        // Its RELEASE is queued but not yet written to the eventq: for the driver
        // the presentation is still in flight (PRESENT/UNEXPORT get IN_USE), which
        // bounds the event FIFO by the number of buffers (§3.2).
        bool release_pending = false;
        uint32_t output = 0;          // of the presentation in flight
        uint64_t sequence = 0;
        [[nodiscard]] bool busy() const { return in_flight || release_pending; }
    };

    explicit BufferTable(uint32_t max_buffers);

    [[nodiscard]] size_t size() const { return entries_.size(); }
    [[nodiscard]] bool empty() const { return entries_.empty(); }
    [[nodiscard]] Entry* find(uint32_t counter);
    [[nodiscard]] const Entry* find(uint32_t counter) const;

    // Whether [start, start + len) intersects an extent of any live buffer.
    [[nodiscard]] bool overlaps(uint64_t start, uint64_t len) const;

    // Adds a validated buffer whose counter is not live and whose ranges overlap
    // nothing in the table.
    Entry& insert(Buffer&& buffer, std::span<const GpaRange> ranges);
    void erase(uint32_t counter);
    void clear();

    void for_each(const std::function<void(const Entry&)>& fn) const;
    void for_each(const std::function<void(Entry&)>& fn);

private:
    struct Interval {
        uint64_t end;
        uint32_t counter;
    };
    std::unordered_map<uint32_t, Entry> entries_;
    std::map<uint64_t, Interval> intervals_; // start -> interval; disjoint
};

} // namespace vdmabuf::backend
