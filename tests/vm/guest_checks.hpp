// The VM lanes' guest programs (vm-frontend-test, zc-producer): one
// "PASS name" / "FAIL name: why" line per check on `out`, counted in
// `failures`, and a dispatch loop that polls the device as a compositor would.
#pragma once

#include <vdmabuf/frontend/device.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <poll.h>
#include <string>

namespace vdmabuf::vmtest {

inline FILE* out = stdout;
inline int failures = 0;

inline void check(const char* name, bool ok, const std::string& why = {}) {
    if (ok) {
        std::fprintf(out, "PASS %s\n", name);
    } else {
        ++failures;
        std::fprintf(out, "FAIL %s: %s\n", name, why.c_str());
    }
    std::fflush(out);
}

// Dispatches until `done` or the deadline; false on timeout or a lost device.
inline bool pump(frontend::Device& dev, const std::function<bool()>& done,
                 int timeout_ms = 10000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        pollfd p{dev.fd(), POLLIN, 0};
        if (::poll(&p, 1, 100) > 0 && dev.dispatch() < 0)
            return false;
    }
    return true;
}

} // namespace vdmabuf::vmtest
