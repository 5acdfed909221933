// Move-only owner of one mmap()ed range (private to the virtio library; shared/ will
// grow a general Mapping later).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace vdmabuf::virtio {

class MemoryMapping {
public:
    MemoryMapping() noexcept = default;
    ~MemoryMapping() { reset(); }
    MemoryMapping(const MemoryMapping&) = delete;
    MemoryMapping& operator=(const MemoryMapping&) = delete;
    MemoryMapping(MemoryMapping&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    MemoryMapping& operator=(MemoryMapping&& other) noexcept {
        if (this != &other) {
            reset();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
        }
        return *this;
    }

    // mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, offset); empty (logged) on failure.
    [[nodiscard]] static MemoryMapping map_shared(int fd, size_t size, uint64_t offset = 0);

    [[nodiscard]] uint8_t* data() const noexcept { return data_; }
    [[nodiscard]] size_t size() const noexcept { return size_; }
    explicit operator bool() const noexcept { return data_ != nullptr; }
    void reset() noexcept;

private:
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

} // namespace vdmabuf::virtio
