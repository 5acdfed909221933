// The memory IMPORT handed out for one buffer (protocols/vdmabuf-consumer.md §4):
// its fds, the extents that make up the buffer's bytes, and a lazily created
// read-only mapping. Import once per buffer ID and drop it on BUFFER_GONE.
#pragma once

#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <vdmabuf_consumer.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vdmabuf::consumer {

class Import {
public:
    // Takes what a validated IMPORT_REPLY carried: every extent's fd_index is
    // below fds.size(), extents are page aligned and sum to size.
    Import(const vdmabuf_id& id, uint32_t mode, uint64_t size, std::vector<UniqueFd> fds,
           std::vector<vdmabuf_c_import_extent> extents, bool writable = false);

    Import(Import&&) noexcept = default;
    Import& operator=(Import&&) noexcept = default;
    Import(const Import&) = delete;
    Import& operator=(const Import&) = delete;

    [[nodiscard]] const vdmabuf_id& id() const noexcept { return id_; }
    [[nodiscard]] uint32_t mode() const noexcept { return mode_; } // VDMABUF_IMPORT_*
    [[nodiscard]] uint64_t size() const noexcept { return size_; }
    // Borrowed; -1 past the end. In DMABUF mode fd(0) is the dma-buf for EGL.
    [[nodiscard]] int fd(unsigned i) const noexcept;
    [[nodiscard]] size_t fd_count() const noexcept { return fds_.size(); }
    // The daemon granted VDMABUF_C_IMPORT_WRITABLE: the fds are O_RDWR (MEMFD).
    [[nodiscard]] bool writable() const noexcept { return writable_; }
    [[nodiscard]] std::span<const vdmabuf_c_import_extent> extents() const noexcept {
        return extents_;
    }

    // The buffer's bytes as one contiguous PROT_READ view, mapped on the first
    // call and kept until the Import dies. Scattered extents are mapped
    // MAP_FIXED, in order, over a PROT_NONE reservation of size(). nullptr
    // (logged once) when mapping fails.
    [[nodiscard]] const uint8_t* map();

private:
    vdmabuf_id id_{};
    uint32_t mode_ = 0;
    uint64_t size_ = 0;
    std::vector<UniqueFd> fds_;
    std::vector<vdmabuf_c_import_extent> extents_;
    Mapping mapping_; // declared after fds_: unmapped before they close
    bool map_failed_ = false;
    bool writable_ = false;
};

} // namespace vdmabuf::consumer
