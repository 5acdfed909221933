#define VDM_LOG_SCOPE "guest-eventq"
#include "event_queue.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstring>

namespace vdmabuf::frontend {

bool EventQueue::init(uint8_t* ring, uint64_t ring_gpa, uint32_t num, bool event_idx,
                      uint8_t* bufs, uint64_t bufs_gpa, uint32_t count) {
    if (count > num || !q_.init(ring, ring_gpa, num, event_idx))
        return false;
    bufs_ = bufs;
    bufs_gpa_ = bufs_gpa;
    count_ = count;
    for (uint32_t i = 0; i < count; ++i)
        if (!post(i))
            return false;
    q_.publish();
    return true;
}

bool EventQueue::post(uint32_t index) {
    const virtio::Segment seg{bufs_gpa_ + uint64_t{kEventBufferSize} * index, kEventBufferSize, true};
    return q_.add(std::span<const virtio::Segment>(&seg, 1), index);
}

bool EventQueue::reap(uint8_t (&event)[kEventBufferSize], uint32_t& len) {
    uint32_t token = 0;
    uint32_t used = 0;
    if (!q_.get_used(token, used))
        return false;
    std::memset(event, 0, sizeof event);
    if (token >= count_) { // cannot happen: tokens are ours
        len = 0;
        return true;
    }
    len = used < kEventBufferSize ? used : kEventBufferSize;
    std::memcpy(event, bufs_ + uint64_t{kEventBufferSize} * token, len);
    if (!post(token))
        VDM_WARN("eventq: could not re-post buffer %u", token);
    return true;
}

} // namespace vdmabuf::frontend
