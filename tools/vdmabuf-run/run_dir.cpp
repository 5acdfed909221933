#include "run_dir.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vdmabuf::run {
namespace {

int remove_one(const char* path, const struct stat*, int, FTW*) {
    if (::remove(path) != 0 && errno != ENOENT)
        std::fprintf(stderr, "vdmabuf-run: cannot remove %s: %s\n", path, std::strerror(errno));
    return 0;
}

} // namespace

std::optional<RunDir> RunDir::create() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/vdmabuf-run-XXXXXX";
    if (!::mkdtemp(tmpl.data())) { // mkdtemp makes it 0700
        std::fprintf(stderr, "vdmabuf-run: mkdtemp(%s): %s\n", tmpl.c_str(), std::strerror(errno));
        return std::nullopt;
    }
    RunDir dir(tmpl);
    if (::mkdir(dir.xdg().c_str(), 0700) != 0) {
        std::fprintf(stderr, "vdmabuf-run: mkdir(%s): %s\n", dir.xdg().c_str(),
                     std::strerror(errno));
        return std::nullopt;
    }
    return dir;
}

RunDir::RunDir(RunDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

RunDir::~RunDir() {
    // Depth first, not following links: only what is inside our own directory goes.
    if (!path_.empty())
        ::nftw(path_.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

} // namespace vdmabuf::run
