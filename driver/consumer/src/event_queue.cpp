#include "event_queue.hpp"

#include <utility>

namespace vdmabuf::consumer {

EventQueue::EventQueue(size_t capacity) : ring_(capacity == 0 ? 1 : capacity) {}

void EventQueue::push(const Event& event) {
    if (count_ == ring_.size()) {
        // Unroll into a ring twice the size, oldest first.
        std::vector<Event> bigger(ring_.size() * 2);
        for (size_t i = 0; i < count_; ++i)
            bigger[i] = ring_[(head_ + i) % ring_.size()];
        ring_ = std::move(bigger);
        head_ = 0;
    }
    ring_[(head_ + count_) % ring_.size()] = event;
    ++count_;
}

bool EventQueue::pop(Event& out) noexcept {
    if (count_ == 0)
        return false;
    out = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --count_;
    return true;
}

} // namespace vdmabuf::consumer
