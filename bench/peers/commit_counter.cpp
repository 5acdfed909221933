#include "commit_counter.hpp"

#include <vdmabuf/shared/unique_fd.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::bench_peers {

bool CommitCounter::create(const std::string& path) {
    UniqueFd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (!fd || ::ftruncate(fd.get(), sizeof(uint64_t)) != 0)
        return false;
    void* p = ::mmap(nullptr, sizeof(uint64_t), PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED)
        return false;
    map_ = static_cast<const volatile uint64_t*>(p);
    path_ = path;
    return true;
}

CommitCounter::~CommitCounter() {
    if (map_)
        ::munmap(const_cast<uint64_t*>(map_), sizeof(uint64_t));
}

uint64_t CommitCounter::value() const {
    return map_ ? *map_ : 0;
}

std::vector<std::string> CommitCounter::env_prefix() const {
    return {"/usr/bin/env", std::string("LD_PRELOAD=") + VDMABUF_COMMIT_COUNTER_SO,
            "VDMABUF_COMMIT_COUNTER=" + path_};
}

} // namespace vdmabuf::bench_peers
