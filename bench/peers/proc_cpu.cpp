#include "proc_cpu.hpp"

#include "proc_sample.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>

namespace vdmabuf::bench_peers {

double cpu_ms(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = s.rfind(')'); // comm may hold spaces and parentheses
    if (close == std::string::npos)
        return -1;
    std::istringstream rest(s.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15)
            stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    return double(utime + stime) * 1000.0 / double(::sysconf(_SC_CLK_TCK));
}

double cpu_ms_fine(pid_t pid) {
    std::error_code ec;
    uint64_t ns = 0;
    bool any = false;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        uint64_t run_ns = 0;
        if (in >> run_ns) {
            ns += run_ns;
            any = true;
        }
    }
    return any ? double(ns) / 1e6 : -1;
}

double member_cpu_ms(const Member& m, pid_t client) {
    double total = std::max(0.0, cpu_ms(m.pid));
    if (!m.descendants)
        return total;
    std::vector<pid_t> skip{client};
    if (client > 0) {
        auto sub = harness::descendants(client);
        skip.insert(skip.end(), sub.begin(), sub.end());
    }
    for (pid_t p : harness::descendants(m.pid))
        if (std::find(skip.begin(), skip.end(), p) == skip.end())
            total += std::max(0.0, cpu_ms(p));
    return total;
}

} // namespace vdmabuf::bench_peers
