// The raw floor for the transport round trip: a request of PRESENT's size and
// a reply of RELEASE's size ping-ponged over a socketpair between two
// processes. The device path cannot be faster than its own hops.
#pragma once

#include <cstddef>
#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::bench {

// Round-trip times in nanoseconds; false if the peer process failed.
[[nodiscard]] bool run_socketpair_floor(size_t iterations, size_t warmup, size_t request_size,
                                        size_t reply_size, Percentiles& rtt_ns);

} // namespace vdmabuf::bench
