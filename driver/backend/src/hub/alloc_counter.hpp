// Heap allocations since start. vdmabufd links alloc_counter.cpp, which
// replaces operator new and counts; in other binaries (unit tests) nothing
// defines the counter and this returns 0.
#pragma once

#include <cstdint>

namespace vdmabuf::backend {

[[nodiscard]] uint64_t heap_allocations();

} // namespace vdmabuf::backend

// Defined only by alloc_counter.cpp; weak so its absence links as null.
extern "C" uint64_t vdmabuf_heap_allocations() __attribute__((weak));
