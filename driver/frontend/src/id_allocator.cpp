#include "id_allocator.hpp"

namespace vdmabuf::frontend {

void IdAllocator::reset(uint32_t guest, uint64_t key) {
    guest_ = guest;
    key_ = key;
    last_ = 0;
    live_.clear();
}

bool IdAllocator::next(vdmabuf_id& out) {
    if (live_.size() >= UINT32_MAX)
        return false;
    do {
        ++last_;
    } while (last_ == 0 || live_.count(last_));
    live_.insert(last_);
    out = {guest_, last_, key_};
    return true;
}

void IdAllocator::release(uint32_t counter) { live_.erase(counter); }

} // namespace vdmabuf::frontend
