// Recreates a guest buffer for consumers (consumer spec §4): a udmabuf
// dma-buf over the guest-memory pages where /dev/udmabuf works (cached per
// buffer), else the guest-memory fds reopened read-only plus extents (cached
// per fd, per guest). Not on the per-frame path: a consumer imports once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <vdmabuf/shared/unique_fd.hpp>

#include "model.hpp"
#include "vdmabuf_consumer.h"

namespace vdmabuf::backend {

class Importer {
public:
    struct Result {
        uint32_t mode = 0; // enum vdmabuf_import_mode
        uint64_t size = 0;
        std::vector<int> fds; // borrowed from the importer's caches
        std::vector<vdmabuf_c_import_extent> extents;
        bool writable = false;          // the fds are the guest-memory fds, O_RDWR
        const char* why_not_writable = nullptr; // asked for but refused: why
    };

    // try_udmabuf false (--udmabuf off) or an unusable device: MEMFD mode.
    // allow_writable false (--no-writable-imports): never hand out writable fds.
    [[nodiscard]] static std::unique_ptr<Importer> create(bool try_udmabuf,
                                                          const char* device = "/dev/udmabuf",
                                                          bool allow_writable = true);

    // The mode WELCOME announces.
    [[nodiscard]] uint32_t mode() const { return udmabuf_ ? VDMABUF_IMPORT_DMABUF : VDMABUF_IMPORT_MEMFD; }
    [[nodiscard]] static const char* mode_name(uint32_t mode);

    // Fills out (reusing its capacity); false (logged) if no import could be made.
    // want_writable (VDMABUF_C_IMPORT_WRITABLE): MEMFD mode hands out the
    // guest-memory fds themselves where allowed and each is O_RDWR without
    // write seals; else the read-only reopens (out.why_not_writable says why).
    [[nodiscard]] bool import(const Buffer& buffer, Result& out, bool want_writable = false);
    void buffer_removed(const BufferId& id);
    void guest_removed(uint32_t guest);

private:
    Importer(UniqueFd&& udmabuf, bool allow_writable)
        : udmabuf_(std::move(udmabuf)), allow_writable_(allow_writable) {}
    [[nodiscard]] static const char* why_not_writable(int fd);
    [[nodiscard]] int dmabuf_for(const Buffer& buffer);
    [[nodiscard]] int readonly_fd(uint32_t guest, int fd);
    [[nodiscard]] bool import_memfd(const Buffer& buffer, Result& out, bool writable);

    UniqueFd udmabuf_; // empty: MEMFD mode
    // Per buffer: a dma-buf, or empty after a failed UDMABUF_CREATE_LIST (memfd fallback).
    std::unordered_map<BufferId, UniqueFd, BufferIdHash> dmabufs_;
    // Per guest: guest-memory fd number -> our read-only reopen.
    std::unordered_map<uint32_t, std::unordered_map<int, UniqueFd>> readonly_;
    bool allow_writable_ = true;
    bool fallback_logged_ = false;
};

} // namespace vdmabuf::backend
