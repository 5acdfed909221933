// The virtio-user guest RAM: one sealed memfd (F_SEAL_SHRINK | F_SEAL_GROW: udmabuf on
// the host refuses shrinkable memfds) mapped MAP_SHARED, at a guest-physical base.
#pragma once

#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <cstdint>
#include <memory>

namespace vdmabuf::frontend {

class GuestMemoryFile {
public:
    // size: a multiple of the page size. nullptr (logged) on failure.
    [[nodiscard]] static std::unique_ptr<GuestMemoryFile> create(uint64_t size, uint64_t base_gpa);

    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] uint8_t* base() const { return mapping_.bytes(); }
    [[nodiscard]] uint64_t size() const { return mapping_.size(); }
    [[nodiscard]] uint64_t base_gpa() const { return base_gpa_; }
    // The front-end's user virtual address of the mapping (vhost-user userspace_addr).
    [[nodiscard]] uint64_t base_uva() const { return reinterpret_cast<uint64_t>(base()); }
    [[nodiscard]] uint8_t* ptr(uint64_t offset) const { return base() + offset; }
    [[nodiscard]] uint64_t gpa(uint64_t offset) const { return base_gpa_ + offset; }
    [[nodiscard]] uint64_t uva(uint64_t offset) const { return base_uva() + offset; }

private:
    GuestMemoryFile(UniqueFd fd, Mapping mapping, uint64_t base_gpa)
        : fd_(std::move(fd)), mapping_(std::move(mapping)), base_gpa_(base_gpa) {}

    UniqueFd fd_;
    Mapping mapping_;
    uint64_t base_gpa_;
};

} // namespace vdmabuf::frontend
