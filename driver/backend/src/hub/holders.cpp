#include "hub/holders.hpp"

namespace vdmabuf::backend {

Holders::Holders(size_t reserve) {
    pool_.reserve(reserve);
    free_.reserve(reserve);
}

uint32_t Holders::open(const Presentation& p) {
    uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        // Grows only to the peak number in flight; free_ gets the same capacity
        // so close() never allocates.
        index = static_cast<uint32_t>(pool_.size());
        pool_.emplace_back();
        if (free_.capacity() < pool_.size())
            free_.reserve(pool_.capacity());
    }
    HoldRecord& r = pool_[index];
    r.p = p;
    r.holders = 0;
    r.undelivered = 0;
    r.live = true;
    ++live_;
    return index;
}

void Holders::close(uint32_t index) {
    if (!valid(index))
        return;
    pool_[index].live = false;
    pool_[index].holders = 0;
    pool_[index].undelivered = 0;
    free_.push_back(index);
    --live_;
}

size_t Holders::held_by(unsigned slot) const {
    size_t n = 0;
    for (const HoldRecord& r : pool_)
        if (r.live && (r.holders & slot_bit(slot)))
            ++n;
    return n;
}

} // namespace vdmabuf::backend
