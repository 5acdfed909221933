// Shared fixture for the virtio unit tests: one memfd playing guest RAM, mapped once
// by the "driver" (front-end) and once by GuestMemory (device), like the real split.
#pragma once

#include <vdmabuf/virtio/device_queue.hpp>
#include <vdmabuf/virtio/driver_queue.hpp>
#include <vdmabuf/virtio/guest_memory.hpp>
#include <vdmabuf/virtio/memory_mapping.hpp>
#include <vdmabuf/virtio/split_ring.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::virtio::test {

inline UniqueFd make_memfd(size_t size) {
    UniqueFd fd{::memfd_create("virtio-test", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        return {};
    // The device refuses memfds that could still shrink under it.
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        return {};
    return fd;
}

class VirtioEnv : public ::testing::Test {
public:
    static constexpr uint64_t kGpa = 0x40000000;
    static constexpr size_t kMemSize = 1 << 20;
    static constexpr size_t kDataOffset = 256 * 1024; // buffers live from here on

    void SetUp() override {
        fd_ = make_memfd(kMemSize);
        ASSERT_TRUE(fd_);
        map_ = MemoryMapping::map_shared(fd_.get(), kMemSize);
        ASSERT_TRUE(map_);
        vhost_user::MemoryRegion r{kGpa, kMemSize, uva(map_.data()), 0};
        ASSERT_TRUE(mem_.add_region(r, fd_.dup_cloexec()));
    }

    static uint64_t uva(const void* p) { return reinterpret_cast<uint64_t>(p); }
    uint8_t* host(size_t offset) { return map_.data() + offset; }
    static uint64_t gpa(size_t offset) { return kGpa + offset; }

    // Lays out a driver queue at offset 0 and configures the device over it.
    void setup_queues(uint32_t num, bool event_idx, bool indirect = false,
                      DeviceQueueLimits limits = {}) {
        ASSERT_LE(DriverQueue::layout_size(num, event_idx), kDataOffset);
        ASSERT_TRUE(drv_.init(host(0), gpa(0), num, event_idx));
        dev_ = std::make_unique<DeviceQueue>(limits);
        ASSERT_TRUE(dev_->configure(mem_, num, uva(drv_.desc_addr()), uva(drv_.avail_addr()),
                                    uva(drv_.used_addr()), event_idx, indirect));
        dev_->enable(true);
        num_ = num;
    }

    // Raw ring writes, bypassing DriverQueue, to play a hostile driver.
    void raw_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
        ring::store_desc(drv_.desc_addr() + 16 * i, VringDesc{addr, len, flags, next});
    }
    void raw_desc_at(uint8_t* table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next) {
        ring::store_desc(table + 16 * i, VringDesc{addr, len, flags, next});
    }
    uint16_t raw_avail_idx() { return ring::load16(drv_.avail_addr() + kAvailIdxOffset); }
    void raw_set_avail_idx(uint16_t v) {
        ring::store_release(drv_.avail_addr() + kAvailIdxOffset, v);
    }
    void raw_publish_head(uint16_t head) {
        uint16_t idx = raw_avail_idx();
        ring::store16(drv_.avail_addr() + kAvailRingOffset + 2 * (idx & (num_ - 1)), head);
        raw_set_avail_idx(static_cast<uint16_t>(idx + 1));
    }

    UniqueFd fd_;
    MemoryMapping map_;
    GuestMemory mem_;
    DriverQueue drv_;
    std::unique_ptr<DeviceQueue> dev_;
    uint32_t num_ = 0;
};

} // namespace vdmabuf::virtio::test
