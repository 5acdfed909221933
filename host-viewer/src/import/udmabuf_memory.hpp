// A dma-buf over ordinary memory the viewer makes itself: a sealed memfd
// turned into a udmabuf (/dev/udmabuf, UDMABUF_CREATE), with a read-write
// mapping of the memfd so the CPU can write the pixels the dma-buf shows.
// What the import probe and the import test feed DmabufImporter: the same
// kind of dma-buf vdmabufd hands out in udmabuf mode.
#pragma once

#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace vdmabuf::viewer {

class UdmabufMemory {
public:
    // size is rounded up to whole pages (udmabuf wants page multiples).
    // nullopt with the failing call and errno in *why.
    [[nodiscard]] static std::optional<UdmabufMemory> create(size_t size, std::string* why,
                                                             const char* device = "/dev/udmabuf");

    // The dma-buf (borrowed): import it as often as needed.
    [[nodiscard]] int dmabuf_fd() const noexcept { return dmabuf_.get(); }
    // The memfd's bytes, writable: a write here is a write to the dma-buf.
    [[nodiscard]] uint8_t* data() const noexcept { return map_.bytes(); }
    [[nodiscard]] size_t size() const noexcept { return map_.size(); }

private:
    UniqueFd memfd_;
    UniqueFd dmabuf_;
    Mapping map_; // declared last: unmapped before the fds close
};

} // namespace vdmabuf::viewer
