#include "hub/out_queue.hpp"

#include <cstring>
#include <fcntl.h>
#include <utility>

namespace vdmabuf::backend {

OutQueue::OutQueue(size_t capacity) : ring_(capacity ? capacity : 1) {}

OutQueue::Entry* OutQueue::push_slot() {
    if (count_ == ring_.size())
        compact();
    if (count_ == ring_.size())
        return nullptr;
    Entry* e = &ring_[at(count_)];
    ++count_;
    return e;
}

bool OutQueue::push_bytes(const void* data, size_t len, std::span<const int> fds) {
    Entry* e = push_slot();
    if (!e)
        return false;
    e->kind = Kind::bytes;
    e->data.resize(len); // keeps capacity across reuse
    std::memcpy(e->data.data(), data, len);
    e->fds.clear();
    for (int fd : fds) {
        // Our own copies: the originals may be closed before this is sent.
        UniqueFd dup{::fcntl(fd, F_DUPFD_CLOEXEC, 0)};
        if (!dup) {
            e->kind = Kind::dead; // the peer would get a reply naming fds it lacks
            return false;
        }
        e->fds.push_back(std::move(dup));
    }
    return true;
}

bool OutQueue::push_record(Kind kind, uint32_t record) {
    Entry* e = push_slot();
    if (!e)
        return false;
    e->kind = kind;
    e->record = record;
    return true;
}

bool OutQueue::is_last(Kind kind, uint32_t record) const {
    if (count_ == 0)
        return false;
    const Entry& e = ring_[at(count_ - 1)];
    return e.kind == kind && e.record == record;
}

bool OutQueue::cancel(Kind kind, uint32_t record) {
    for (size_t i = 0; i < count_; ++i) {
        Entry& e = ring_[at(i)];
        if (e.kind == kind && e.record == record) {
            e.kind = Kind::dead;
            pop_dead();
            return true;
        }
    }
    return false;
}

bool OutQueue::replace_last_present(uint32_t old_record, uint32_t new_record) {
    if (count_ == 0)
        return false;
    Entry& e = ring_[at(count_ - 1)];
    if (e.kind != Kind::present || e.record != old_record)
        return false;
    e.record = new_record;
    return true;
}

void OutQueue::pop() {
    if (count_ == 0)
        return;
    Entry& e = ring_[head_];
    e.kind = Kind::dead;
    e.fds.clear(); // closes our copies
    head_ = (head_ + 1) % ring_.size();
    --count_;
}

void OutQueue::pop_dead() {
    while (count_ > 0 && ring_[head_].kind == Kind::dead)
        pop();
}

void OutQueue::compact() {
    // Slides live entries over dead ones, in order; swapping keeps every
    // entry's vector capacity inside the ring.
    size_t kept = 0;
    for (size_t i = 0; i < count_; ++i) {
        Entry& e = ring_[at(i)];
        if (e.kind == Kind::dead) {
            e.fds.clear();
            continue;
        }
        if (kept != i)
            std::swap(ring_[at(kept)], e);
        ++kept;
    }
    count_ = kept;
}

} // namespace vdmabuf::backend
