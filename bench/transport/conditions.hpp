// The machine states the transport bench compares: idle (as found), busy (a
// niced CPU burner on every core) and pinned (this process and the daemon it
// starts on one CPU), plus the CPU time a process has used.
#pragma once

#include <cstdint>
#include <sched.h>
#include <sys/types.h>
#include <vector>

namespace vdmabuf::bench {

// One child per online CPU spinning at nice 19 until destroyed: the CPUs never
// halt, as on a machine doing other work.
class Burners {
public:
    Burners();
    ~Burners();
    Burners(const Burners&) = delete;
    Burners& operator=(const Burners&) = delete;
    [[nodiscard]] size_t count() const { return pids_.size(); }

private:
    std::vector<pid_t> pids_;
};

// Restricts this process (and so every child it starts meanwhile, vdmabufd
// included) to the first CPU it may run on; restores the old set on destruction.
class PinnedToOneCpu {
public:
    PinnedToOneCpu();
    ~PinnedToOneCpu();
    PinnedToOneCpu(const PinnedToOneCpu&) = delete;
    PinnedToOneCpu& operator=(const PinnedToOneCpu&) = delete;
    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] int cpu() const { return cpu_; }

private:
    cpu_set_t old_{};
    bool ok_ = false;
    int cpu_ = -1;
};

// CPU time (user + system) a process has used, in ns: /proc/<pid>/schedstat's
// run time (the utime+stime of /proc/<pid>/stat, without its 10 ms ticks).
// 0 if unreadable. pid 0: this process.
[[nodiscard]] uint64_t cpu_time_ns(pid_t pid);

} // namespace vdmabuf::bench
