// FIFO of decoded events that arrived while a synchronous call waited for its
// reply. A ring over storage reserved up front; it only grows (and allocates)
// if a burst outruns that, so nothing is ever lost.
#pragma once

#include "messages.hpp"

#include <cstddef>
#include <vector>

namespace vdmabuf::consumer {

class EventQueue {
public:
    explicit EventQueue(size_t capacity = 256);

    void push(const Event& event);
    // Copies the oldest event out (a callback may push while it is handled).
    [[nodiscard]] bool pop(Event& out) noexcept;
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] size_t size() const noexcept { return count_; }

private:
    std::vector<Event> ring_;
    size_t head_ = 0;
    size_t count_ = 0;
};

} // namespace vdmabuf::consumer
