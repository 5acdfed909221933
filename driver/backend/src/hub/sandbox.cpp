#define VDM_LOG_SCOPE "sandbox"
#include "hub/sandbox.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <linux/udmabuf.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vdmabuf/shared/log.hpp>

#include "hub/unix_listener.hpp"

// Sanitizer runtimes make system calls of their own; such builds allow those
// too (kSanitizerCalls, docs/security.md).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VDMABUF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define VDMABUF_SANITIZED 1
#endif
#endif

namespace vdmabuf::backend {
namespace {

// Every call the running daemon makes (found with strace -f over the test
// suites: event loop, vhost-user and consumer sockets, guest memory maps,
// udmabuf and memfd imports, stats, shutdown). Calls with arguments worth
// pinning (open, mmap, mprotect, ioctl, unlinkat) are added below with rules.
constexpr int kCalls[] = {
    // event loop, timers, signals
    SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime), SCMP_SYS(eventfd2), SCMP_SYS(read),
    SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(fcntl),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday),
    // busy-poll: is there a CPU to spare (affinity, /proc/loadavg opened before)?
    SCMP_SYS(sched_getaffinity), SCMP_SYS(pread64),
    // sockets: accept guests and consumers, messages with fds
    SCMP_SYS(accept4), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
    SCMP_SYS(shutdown), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(dup), SCMP_SYS(dup3),
    // a consumer's empty packet or its hang-up? (ConsumerConnection::peer_closed)
    SCMP_SYS(poll), SCMP_SYS(ppoll),
    // memory: the heap, guest memory (checked: no PROT_EXEC, below)
    SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
    // guest memory files: sizes, imports
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(fstatfs),
    // libc and libstdc++ internals
    SCMP_SYS(futex), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getrandom),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(tgkill), // abort()
};

#ifdef VDMABUF_SANITIZED
// What the ASan/UBSan/TSan runtimes call after start (found with SCMP_ACT_LOG
// over an idle run, a clean exit and a leak report): LeakSanitizer at exit
// clones a tracer task (clone, prctl PR_SET_PTRACER, sched_yield until it is
// done, wait4) that lists /proc/self/task (open, getdents: not getdents64),
// installs its handlers (sigaltstack, rt_sigaction), checks getppid and
// stops every thread (ptrace); reports probe memory through a pipe (pipe2)
// and symbolize (readlink /proc/self/exe; open read-only is pinned below).
// A call missing here must never reach the tracer: it runs with every
// signal blocked, so the kernel kills it silently and the daemon spins at
// exit waiting for it (what getdents did when it was missing).
constexpr int kSanitizerCalls[] = {
    SCMP_SYS(clone), SCMP_SYS(prctl), SCMP_SYS(sched_yield), SCMP_SYS(wait4),
    SCMP_SYS(getdents), SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(getppid),
    SCMP_SYS(ptrace), SCMP_SYS(pipe2), SCMP_SYS(readlink),
};
#endif


// SIGSYS from SCMP_ACT_TRAP: say which call it was, then end the process as
// SCMP_ACT_KILL_PROCESS would. Async-signal-safe: no stdio, no allocation.
void on_sigsys(int, siginfo_t* info, void*) {
    char msg[] = "vdmabufd: seccomp: blocked system call ##### (see docs/security.md); exiting\n";
    char* p = std::strstr(msg, "#####");
    unsigned nr = info ? unsigned(info->si_syscall) : 0;
    for (int i = 4; i >= 0; --i, nr /= 10)
        p[i] = char('0' + nr % 10);
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(128 + SIGSYS);
}

// What SCMP_A0..SCMP_A5 build, without their C99 compound literal (which
// clang's -pedantic rejects in C++ as -Wc99-extensions).
constexpr scmp_arg_cmp arg_cmp(unsigned arg, scmp_compare op, scmp_datum_t a, scmp_datum_t b = 0) {
    return scmp_arg_cmp{arg, op, a, b};
}

bool add(scmp_filter_ctx ctx, int nr, std::initializer_list<scmp_arg_cmp> args = {}) {
    int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, unsigned(args.size()),
                                    args.size() ? args.begin() : nullptr);
    if (rc != 0 && rc != -EDOM) { // -EDOM: not a call on this architecture
        VDM_ERROR("seccomp_rule_add(%d): %s", nr, strerror(-rc));
        return false;
    }
    return true;
}

bool build_rules(scmp_filter_ctx ctx) {
    for (int nr : kCalls)
        if (!add(ctx, nr))
            return false;
    // Files are opened read-only after start-up (the memfd import reopens a
    // guest-memory fd through /proc/self/fd with O_RDONLY; stats read
    // /proc/self/statm): no write, create or truncate of any file.
    const scmp_datum_t open_mask = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE;
    if (!add(ctx, SCMP_SYS(openat), {arg_cmp(2, SCMP_CMP_MASKED_EQ, open_mask, O_RDONLY)}))
        return false;
#ifdef VDMABUF_SANITIZED
    for (int nr : kSanitizerCalls)
        if (!add(ctx, nr))
            return false;
    // The runtimes open with open(2), read-only too, and the tracer opens
    // /proc/self/task with O_DIRECTORY, a bit of O_TMPFILE (which needs write
    // access anyway), so that one is not in this mask.
    const scmp_datum_t runtime_open_mask = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
    if (!add(ctx, SCMP_SYS(open), {arg_cmp(1, SCMP_CMP_MASKED_EQ, runtime_open_mask, O_RDONLY)}))
        return false;
#endif
    // Guest memory and the heap: never executable.
    if (!add(ctx, SCMP_SYS(mmap), {arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}) ||
        !add(ctx, SCMP_SYS(mprotect), {arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}))
        return false;
    // udmabuf imports (the device was opened before the filter); SIOCOUTQ,
    // how far a consumer is behind; TCGETS, stdio asking whether stdout is a
    // terminal on its first write.
    for (unsigned long request : {(unsigned long)UDMABUF_CREATE_LIST, (unsigned long)UDMABUF_CREATE,
                                  (unsigned long)SIOCOUTQ, (unsigned long)TCGETS})
        if (!add(ctx, SCMP_SYS(ioctl), {arg_cmp(1, SCMP_CMP_EQ, request)}))
            return false;
    // Removing our own socket files at shutdown, in their directories only.
    for (int dir : socket_dir_fds())
        if (!add(ctx, SCMP_SYS(unlinkat), {arg_cmp(0, SCMP_CMP_EQ, scmp_datum_t(dir))}))
            return false;
    return true;
}

} // namespace

bool check_socket_dir(const std::string& socket_path) {
    size_t slash = socket_path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : socket_path.substr(0, slash);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        VDM_ERRNO("stat(%s) failed", dir.c_str());
        return false;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        VDM_ERROR("refusing socket directory %s: writable by %s (mode %03o); use a private "
                  "directory such as $XDG_RUNTIME_DIR/vdmabuf",
                  dir.c_str(), (st.st_mode & S_IWOTH) ? "everyone" : "its group",
                  unsigned(st.st_mode & 0777));
        return false;
    }
    if (st.st_uid != ::geteuid() && st.st_uid != 0) {
        VDM_ERROR("refusing socket directory %s: owned by uid %u, not by us (uid %u) or root",
                  dir.c_str(), unsigned(st.st_uid), unsigned(::geteuid()));
        return false;
    }
    return true;
}

bool drop_capabilities() {
    if (::geteuid() != 0)
        return true;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0) {
        VDM_ERRNO("capset (dropping root's capabilities) failed");
        return false;
    }
    (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    VDM_WARN("running as root: every capability dropped; run vdmabufd as the desktop user");
    return true;
}

bool enter_sandbox(bool seccomp) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        VDM_ERRNO("prctl(PR_SET_NO_NEW_PRIVS) failed");
        return false;
    }
    if (!seccomp) {
        VDM_WARN("seccomp filter disabled (--no-seccomp)");
        return true;
    }
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (::sigaction(SIGSYS, &sa, nullptr) != 0) {
        VDM_ERRNO("sigaction(SIGSYS) failed");
        return false;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx) {
        VDM_ERROR("seccomp_init failed");
        return false;
    }
    bool ok = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) == 0 && build_rules(ctx);
    int rc = ok ? seccomp_load(ctx) : 0;
    seccomp_release(ctx);
    if (!ok || rc != 0) {
        VDM_ERROR("seccomp filter not installed: %s", ok ? strerror(-rc) : "rule setup failed");
        return false;
    }
#ifdef VDMABUF_SANITIZED
    VDM_INFO("seccomp filter installed (with the sanitizer runtime's calls)");
#else
    VDM_INFO("seccomp filter installed");
#endif
    return true;
}

} // namespace vdmabuf::backend
