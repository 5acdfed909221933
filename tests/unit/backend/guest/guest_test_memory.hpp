// Test helper: guest memory made of memfd regions at fixed guest-physical addresses,
// as the device sees it after SET_MEM_TABLE.
#pragma once

#include <vdmabuf/virtio/guest_memory.hpp>
#include <vdmabuf/virtio/memory_mapping.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::backend::test {

inline UniqueFd make_memfd(size_t size) {
    UniqueFd fd{::memfd_create("guest-test", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        return {};
    // The device refuses memfds that could still shrink under it.
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        return {};
    return fd;
}

// Adds a region backed by a fresh memfd; the uva is made up (never dereferenced by
// the device except through its own mapping).
inline bool add_memfd_region(virtio::GuestMemory& mem, uint64_t gpa, uint64_t size, uint64_t uva) {
    UniqueFd fd = make_memfd(size);
    if (!fd)
        return false;
    return mem.add_region({gpa, size, uva, 0}, std::move(fd));
}

} // namespace vdmabuf::backend::test
