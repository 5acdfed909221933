#define VDM_LOG_SCOPE "bench"
#include "conditions.hpp"

#include <vdmabuf/shared/busy_poll.hpp>
#include <vdmabuf/shared/log.hpp>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdmabuf::bench {

Burners::Burners() {
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < cpus; ++i) {
        const pid_t pid = fork();
        if (pid < 0) {
            VDM_ERRNO("fork(burner) failed");
            break;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the bench
            if (setpriority(PRIO_PROCESS, 0, 19) != 0)
                _exit(1);
            for (;;)
                BusyPoll::relax();
        }
        pids_.push_back(pid);
    }
}

Burners::~Burners() {
    for (pid_t pid : pids_)
        kill(pid, SIGKILL);
    for (pid_t pid : pids_)
        waitpid(pid, nullptr, 0);
}

PinnedToOneCpu::PinnedToOneCpu() {
    if (sched_getaffinity(0, sizeof old_, &old_) != 0) {
        VDM_ERRNO("sched_getaffinity failed");
        return;
    }
    for (int c = 0; c < CPU_SETSIZE && cpu_ < 0; ++c)
        if (CPU_ISSET(c, &old_))
            cpu_ = c;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    ok_ = sched_setaffinity(0, sizeof one, &one) == 0;
    if (!ok_)
        VDM_ERRNO("sched_setaffinity(cpu %d) failed", cpu_);
}

PinnedToOneCpu::~PinnedToOneCpu() {
    if (ok_)
        sched_setaffinity(0, sizeof old_, &old_);
}

uint64_t cpu_time_ns(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/schedstat", pid ? int(pid) : int(getpid()));
    FILE* f = std::fopen(path, "re");
    if (!f)
        return 0;
    unsigned long long run = 0;
    if (std::fscanf(f, "%llu", &run) != 1)
        run = 0;
    std::fclose(f);
    return run;
}

} // namespace vdmabuf::bench
