// A buffer's pages in guest memory, as handed out by Device::allocate(). RAII: the
// pages go back to the device's allocator when the Allocation is destroyed. The memory
// stays mapped as long as any Allocation of it lives, even after its Device is gone.
//
// Do not destroy an Allocation whose buffer is still exported (wait for UNEXPORT's
// success, or for the device to be lost): the pages would be handed out again while
// the host still reads them. If it happens anyway the pages are leaked, not reused.
#pragma once

#include "vdmabuf_wire.h"

#include <cstdint>
#include <span>

namespace vdmabuf::frontend {

class Allocation {
public:
    virtual ~Allocation() = default;
    Allocation(const Allocation&) = delete;
    Allocation& operator=(const Allocation&) = delete;

    // CPU view of the buffer's bytes, contiguous even when the extents are not.
    [[nodiscard]] virtual uint8_t* data() const = 0;
    // Bytes: a multiple of VDMABUF_PAGE_SIZE, the sum of the extents' lengths.
    [[nodiscard]] virtual uint64_t size() const = 0;
    // Guest-physical pieces, in buffer order, page aligned, as EXPORT sends them.
    [[nodiscard]] virtual std::span<const vdmabuf_extent> extents() const = 0;

protected:
    Allocation() = default;
};

} // namespace vdmabuf::frontend
