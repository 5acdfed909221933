// A consumer's outbound messages that did not fit its socket yet. A fixed ring
// of entries whose byte and fd vectors keep their capacity when popped, so a
// stalled consumer costs no allocation per frame. PRESENTs are queued as a
// record index and rendered when sent, so coalescing can drop them in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::backend {

class OutQueue {
public:
    enum class Kind : uint8_t { bytes, present, cursor_move, dead };

    struct Entry {
        Kind kind = Kind::dead;
        uint32_t record = 0;       // Kind::present, Kind::cursor_move (the owner's index)
        std::vector<uint8_t> data; // Kind::bytes
        std::vector<UniqueFd> fds; // Kind::bytes, sent as SCM_RIGHTS
    };

    explicit OutQueue(size_t capacity = 1024);

    [[nodiscard]] bool empty() const { return count_ == 0; }
    [[nodiscard]] size_t size() const { return count_; }

    // false when full even after dropping dead entries.
    [[nodiscard]] bool push_bytes(const void* data, size_t len, std::span<const int> fds);
    [[nodiscard]] bool push_present(uint32_t record) { return push_record(Kind::present, record); }
    [[nodiscard]] bool push_record(Kind kind, uint32_t record);

    // Marks the queued PRESENT of record dead; false if none was queued.
    bool cancel_present(uint32_t record) { return cancel(Kind::present, record); }
    bool cancel(Kind kind, uint32_t record);
    // Re-points the queued PRESENT of old_record to new_record when it is the
    // newest entry (order then stays right); false otherwise.
    bool replace_last_present(uint32_t old_record, uint32_t new_record);
    // Whether the newest entry is (kind, record).
    [[nodiscard]] bool is_last(Kind kind, uint32_t record) const;

    // The oldest entry; dead entries are skipped by pop_dead().
    [[nodiscard]] Entry& front() { return ring_[head_]; }
    void pop();
    // Pops dead entries at the head.
    void pop_dead();

private:
    [[nodiscard]] Entry* push_slot();
    void compact();
    [[nodiscard]] size_t at(size_t i) const { return (head_ + i) % ring_.size(); }

    std::vector<Entry> ring_;
    size_t head_ = 0;
    size_t count_ = 0;
};

} // namespace vdmabuf::backend
