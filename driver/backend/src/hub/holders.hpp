// Who holds which presentation. One record per presentation in flight (the
// device allows one per buffer), with a bit per consumer slot. Records live in
// a pool that only grows to the peak number in flight, so steady-state frames
// allocate nothing.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model.hpp"

namespace vdmabuf::backend {

// Consumer slots: holder sets are one 64-bit mask.
inline constexpr unsigned kMaxConsumers = 64;
inline constexpr uint32_t kNoRecord = UINT32_MAX;

using SlotMask = uint64_t;
[[nodiscard]] inline constexpr SlotMask slot_bit(unsigned slot) { return SlotMask{1} << slot; }

struct HoldRecord {
    Presentation p;
    SlotMask holders = 0;     // consumers that hold it
    SlotMask undelivered = 0; // of those, the ones whose PRESENT is still queued
    std::array<uint64_t, kMaxConsumers> since_ns{}; // hold start, for the timeout
    std::array<uint64_t, kMaxConsumers> sent_ns{};  // PRESENT written to the socket
    bool live = false;

    [[nodiscard]] unsigned holder_count() const { return static_cast<unsigned>(std::popcount(holders)); }
};

class Holders {
public:
    explicit Holders(size_t reserve = 256);

    // A fresh record for p with no holders.
    [[nodiscard]] uint32_t open(const Presentation& p);
    // Returns the record to the pool.
    void close(uint32_t index);

    [[nodiscard]] HoldRecord& at(uint32_t index) { return pool_[index]; }
    [[nodiscard]] const HoldRecord& at(uint32_t index) const { return pool_[index]; }
    [[nodiscard]] bool valid(uint32_t index) const { return index < pool_.size() && pool_[index].live; }
    [[nodiscard]] size_t live() const { return live_; }
    // Pool size: indices below this may be live.
    [[nodiscard]] uint32_t capacity() const { return static_cast<uint32_t>(pool_.size()); }
    // Presentations a consumer slot holds.
    [[nodiscard]] size_t held_by(unsigned slot) const;

private:
    std::vector<HoldRecord> pool_;
    std::vector<uint32_t> free_;
    size_t live_ = 0;
};

} // namespace vdmabuf::backend
