#define VDM_LOG_SCOPE "bench"
#include "floor.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace vdmabuf::bench {
namespace {

bool exchange(int fd, const void* out, size_t out_len, void* in, size_t in_len) {
    if (send(fd, out, out_len, MSG_NOSIGNAL) != ssize_t(out_len))
        return false;
    return recv(fd, in, in_len, 0) > 0;
}

[[noreturn]] void echo_peer(int fd, size_t request_size, size_t reply_size) {
    std::vector<char> request(request_size), reply(reply_size, 'r');
    while (recv(fd, request.data(), request.size(), 0) > 0) {
        if (send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) != ssize_t(reply.size()))
            break;
    }
    _exit(0);
}

} // namespace

bool run_socketpair_floor(size_t iterations, size_t warmup, size_t request_size,
                          size_t reply_size, Percentiles& rtt_ns) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
        VDM_ERRNO("socketpair failed");
        return false;
    }
    UniqueFd ours(fds[0]), theirs(fds[1]);
    pid_t pid = fork();
    if (pid < 0) {
        VDM_ERRNO("fork failed");
        return false;
    }
    if (pid == 0) {
        ours.reset();
        echo_peer(theirs.get(), request_size, reply_size);
    }
    theirs.reset();

    std::vector<char> request(request_size, 'p'), reply(reply_size);
    bool ok = true;
    for (size_t i = 0; ok && i < warmup + iterations; ++i) {
        uint64_t t0 = now_ns();
        ok = exchange(ours.get(), request.data(), request.size(), reply.data(), reply.size());
        if (i >= warmup)
            rtt_ns.add(now_ns() - t0);
    }
    ours.reset();
    int status = 0;
    waitpid(pid, &status, 0);
    return ok;
}

} // namespace vdmabuf::bench
