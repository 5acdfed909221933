#include "run_dir.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <ftw.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace vdmabuf::run {
namespace {

int remove_one(const char* path, const struct stat*, int, FTW*) {
    if (::remove(path) != 0 && errno != ENOENT)
        std::fprintf(stderr, "vdmabuf-run: cannot remove %s: %s\n", path, std::strerror(errno));
    return 0;
}

void remove_tree(const std::string& path) {
    ::nftw(path.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

// "PID STARTTIME": the process and its start time (field 22 of /proc/PID/stat,
// so a recycled pid is not mistaken for the owner). Empty if pid is gone.
std::string process_identity(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
    std::ifstream in(path);
    std::string stat;
    if (!std::getline(in, stat))
        return {};
    size_t paren = stat.rfind(')'); // comm may hold spaces and parentheses
    if (paren == std::string::npos)
        return {};
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i == 22)
            return std::to_string(pid) + " " + field;
    }
    return {};
}

// A vdmabuf-run killed by SIGKILL cannot remove its directory (its parts die
// with it by PR_SET_PDEATHSIG); the next run does, once its owner is gone.
// Only our own directories with an owner file whose process is not alive.
void sweep_dead_runs(const std::string& tmp) {
    DIR* d = ::opendir(tmp.c_str());
    if (!d)
        return;
    while (dirent* e = ::readdir(d)) {
        if (std::strncmp(e->d_name, "vdmabuf-run-", 12) != 0)
            continue;
        const std::string path = tmp + "/" + e->d_name;
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
            continue;
        std::ifstream owner(path + "/owner");
        std::string line;
        long pid = 0;
        if (!std::getline(owner, line) || std::sscanf(line.c_str(), "%ld", &pid) != 1 || pid <= 0)
            continue;
        if (process_identity(pid_t(pid)) == line)
            continue; // still running
        std::printf("removing %s, left by vdmabuf-run pid %ld (no longer running)\n", path.c_str(),
                    pid);
        remove_tree(path);
    }
    ::closedir(d);
}

} // namespace

std::optional<RunDir> RunDir::create() {
    const char* tmp_env = std::getenv("TMPDIR");
    const std::string tmp = tmp_env && *tmp_env ? tmp_env : "/tmp";
    sweep_dead_runs(tmp);
    std::string tmpl = tmp + "/vdmabuf-run-XXXXXX";
    if (!::mkdtemp(tmpl.data())) { // mkdtemp makes it 0700
        std::fprintf(stderr, "vdmabuf-run: mkdtemp(%s): %s\n", tmpl.c_str(), std::strerror(errno));
        return std::nullopt;
    }
    RunDir dir(tmpl);
    {
        std::ofstream owner(dir.path() + "/owner");
        owner << process_identity(::getpid()) << "\n";
    }
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
        remove_tree(path_);
}

} // namespace vdmabuf::run
