#include "proc_sample.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace vdmabuf::harness {
namespace {

bool all_digits(const char* s) {
    if (!*s)
        return false;
    for (; *s; ++s)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

// Calls fn(name) for each numeric entry of a /proc directory; false if unreadable.
template <typename Fn>
bool for_each_number(const std::string& dir, Fn fn) {
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return false;
    while (dirent* e = ::readdir(d))
        if (all_digits(e->d_name))
            fn(e->d_name);
    ::closedir(d);
    return true;
}

} // namespace

std::optional<ProcSample> sample_process(pid_t pid) {
    const std::string base = "/proc/" + std::to_string(pid);
    ProcSample s;
    bool ok = for_each_number(base + "/fd", [&](const char* name) {
        ++s.fds;
        char target[256];
        std::string link = base + "/fd/" + name;
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n > 0 && std::strncmp(target, "/memfd:", 7) == 0)
            ++s.memfds;
    });
    if (!ok)
        return std::nullopt;
    std::ifstream maps(base + "/maps");
    for (std::string line; std::getline(maps, line);)
        if (line.find(" /memfd:") != std::string::npos)
            ++s.memfd_maps;
    std::ifstream statm(base + "/statm");
    uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident))
        return std::nullopt;
    s.rss_kib = resident * uint64_t(::sysconf(_SC_PAGESIZE)) / 1024;
    return s;
}

std::string process_name(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

std::vector<pid_t> descendants(pid_t root) {
    // One pass over /proc for every parent link, then a walk from root.
    std::multimap<pid_t, pid_t> children;
    for_each_number("/proc", [&](const char* name) {
        std::ifstream in(std::string("/proc/") + name + "/stat");
        std::string line;
        std::getline(in, line);
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        size_t close = line.rfind(')');
        if (close == std::string::npos)
            return;
        std::istringstream rest(line.substr(close + 1));
        char state = 0;
        pid_t ppid = 0;
        if (rest >> state >> ppid && state != 'Z')
            children.emplace(ppid, pid_t(std::atoi(name)));
    });
    std::vector<pid_t> out;
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        pid_t p = todo.back();
        todo.pop_back();
        auto [lo, hi] = children.equal_range(p);
        for (auto it = lo; it != hi; ++it) {
            out.push_back(it->second);
            todo.push_back(it->second);
        }
    }
    return out;
}

int seccomp_mode(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Seccomp:", 0) == 0)
            return std::atoi(line.c_str() + 8);
    return -1;
}

size_t dev_shm_entries() {
    size_t n = 0;
    DIR* d = ::opendir("/dev/shm");
    if (!d)
        return 0;
    while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
            ++n;
    ::closedir(d);
    return n;
}

} // namespace vdmabuf::harness
