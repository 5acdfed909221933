// Counts heap allocations in this process (operator new replaced in
// alloc_counter.cpp), so benchmarks can show steady-state allocations per frame.
#pragma once

#include <cstdint>

namespace vdmabuf::bench {
[[nodiscard]] uint64_t heap_allocations();
} // namespace vdmabuf::bench
