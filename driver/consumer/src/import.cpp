#define VDM_LOG_SCOPE "consumer"
#include <vdmabuf/consumer/import.hpp>

#include <vdmabuf/shared/log.hpp>

#include <cinttypes>
#include <sys/mman.h>
#include <sys/stat.h>

namespace vdmabuf::consumer {

Import::Import(const vdmabuf_id& id, uint32_t mode, uint64_t size, std::vector<UniqueFd> fds,
               std::vector<vdmabuf_c_import_extent> extents, bool writable)
    : id_(id), mode_(mode), size_(size), fds_(std::move(fds)), extents_(std::move(extents)),
      writable_(writable) {}

int Import::fd(unsigned i) const noexcept {
    return i < fds_.size() ? fds_[i].get() : -1;
}

const uint8_t* Import::map() {
    if (mapping_)
        return mapping_.bytes();
    if (map_failed_)
        return nullptr; // logged the first time; callers may ask every frame
    map_failed_ = true;

    if (size_ == 0 || extents_.empty()) {
        VDM_ERROR("import of buffer %u:%u has nothing to map", id_.guest, id_.counter);
        return nullptr;
    }
    // Pages past the end of a file SIGBUS when read: the daemon is not trusted to
    // have named only bytes its fds hold.
    for (const auto& e : extents_) {
        struct stat st {};
        if (::fstat(fd(e.fd_index), &st) != 0 || st.st_size < 0 ||
            e.offset > static_cast<uint64_t>(st.st_size) ||
            e.len > static_cast<uint64_t>(st.st_size) - e.offset) {
            VDM_ERROR("import of buffer %u:%u: extent (fd %u, off %" PRIu64 ", len %" PRIu64
                      ") beyond the end of its fd",
                      id_.guest, id_.counter, e.fd_index, e.offset, e.len);
            return nullptr;
        }
    }
    const auto len = static_cast<size_t>(size_);
    if (extents_.size() == 1) {
        const auto& e = extents_[0];
        mapping_ = Mapping::map(fd(e.fd_index), len, static_cast<off_t>(e.offset), PROT_READ,
                                MAP_SHARED);
    } else {
        // Reserve the whole range inaccessible, then lay each extent over it in
        // order; the Mapping unmaps all of it at once.
        Mapping reserved = Mapping::map(-1, len, 0, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
        if (!reserved)
            return nullptr;
        uint64_t at = 0;
        for (const auto& e : extents_) {
            if (e.fd_index >= fds_.size() || at + e.len > size_) {
                VDM_ERROR("import of buffer %u:%u: extent outside the buffer", id_.guest,
                          id_.counter);
                return nullptr;
            }
            void* p = ::mmap(reserved.bytes() + at, static_cast<size_t>(e.len), PROT_READ,
                             MAP_SHARED | MAP_FIXED, fd(e.fd_index), static_cast<off_t>(e.offset));
            if (p == MAP_FAILED) {
                VDM_ERRNO("mmap(extent fd %u, off %" PRIu64 ", len %" PRIu64 ") failed",
                          e.fd_index, e.offset, e.len);
                return nullptr;
            }
            at += e.len;
        }
        mapping_ = std::move(reserved);
    }
    if (!mapping_)
        return nullptr;
    map_failed_ = false;
    return mapping_.bytes();
}

} // namespace vdmabuf::consumer
