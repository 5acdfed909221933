// The count of wl_surface.commit requests the client made, kept by the
// commit_counter.c shim (LD_PRELOAD) in a small file this object creates and
// maps: read live, no message from the client needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vdmabuf::bench_peers {

class CommitCounter {
public:
    CommitCounter() = default;
    ~CommitCounter();
    CommitCounter(const CommitCounter&) = delete;
    CommitCounter& operator=(const CommitCounter&) = delete;

    // Creates `path` (zero) and maps it; false on failure.
    [[nodiscard]] bool create(const std::string& path);
    [[nodiscard]] uint64_t value() const;
    // argv prefix running a program with the shim: {"/usr/bin/env", "LD_PRELOAD=...", ...}.
    [[nodiscard]] std::vector<std::string> env_prefix() const;

private:
    std::string path_;
    const volatile uint64_t* map_ = nullptr;
};

} // namespace vdmabuf::bench_peers
