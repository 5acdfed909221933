// Process death on either side: a consumer killed while holding buffers gives
// the guest every release; a guest killed has its buffers retired and the
// consumers told. Both sides are separate processes, killed with SIGKILL.
#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "actors.hpp"
#include "daemon_process.hpp"

namespace vdmabuf::harness {
namespace {

// Forks; the child runs fn and _exits with its result. The parent gets the pid
// and the read end of a pipe the child writes one byte to when it is ready.
struct Forked {
    pid_t pid = -1;
    UniqueFd ready;
};

template <class Fn> Forked fork_child(Fn fn) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return {};
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        _exit(fn(p[1]));
    }
    close(p[1]);
    return {pid, UniqueFd(p[0])};
}

bool wait_ready(int fd, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    char c;
    return poll(&pfd, 1, timeout_ms) == 1 && read(fd, &c, 1) == 1;
}

void kill_and_reap(pid_t pid) {
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
}

TEST(Lifecycle, KilledConsumerReleasesEverythingItHeld) {
    auto daemon = DaemonProcess::start();
    ASSERT_TRUE(daemon);
    auto guest = GuestActor::open(daemon->guest_socket());
    ASSERT_TRUE(guest);
    ExportedBuffer bufs[3] = {export_pattern(*guest, 64, 64, 1), export_pattern(*guest, 64, 64, 2),
                              export_pattern(*guest, 64, 64, 3)};

    const std::string socket = daemon->consumer_socket();
    Forked consumer = fork_child([&](int ready_fd) {
        auto viewer = ViewerActor::connect(socket);
        if (!viewer)
            return 2;
        if (write(ready_fd, "c", 1) != 1)
            return 3;
        // Hold every frame; never release.
        pump_until([&] { return viewer->presents.size() == 3; }, 10000, {}, {viewer.get()});
        if (write(ready_fd, "h", 1) != 1)
            return 3;
        pause();
        return 0;
    });
    ASSERT_GT(consumer.pid, 0);
    ASSERT_TRUE(wait_ready(consumer.ready.get(), 5000)) << "consumer connected";
    // Let the daemon finish the consumer's handshake before presenting.
    pump_until([] { return false; }, 100, {guest.get()}, {});
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(guest->device->present(bufs[i].id, uint32_t(i), 1, 0, {}));
    ASSERT_TRUE(wait_ready(consumer.ready.get(), 5000)) << "consumer holds 3 frames";
    pump_until([] { return false; }, 100, {guest.get()}, {});
    EXPECT_TRUE(guest->releases.empty()) << "held by the consumer";

    kill_and_reap(consumer.pid);
    ASSERT_TRUE(pump_until([&] { return guest->releases.size() == 3; }, 5000, {guest.get()}, {}));
    for (const auto& b : bufs)
        EXPECT_EQ(guest->releases_of(b.id), 1u);
    for (const auto& r : guest->releases)
        EXPECT_EQ(r.reason, uint32_t(VDMABUF_RELEASE_DONE));
    EXPECT_TRUE(daemon->alive());
}

TEST(Lifecycle, KilledGuestIsRetiredAndConsumersTold) {
    auto daemon = DaemonProcess::start();
    ASSERT_TRUE(daemon);
    auto viewer = ViewerActor::connect(daemon->consumer_socket());
    ASSERT_TRUE(viewer);

    const std::string socket = daemon->guest_socket();
    Forked guest = fork_child([&](int ready_fd) {
        frontend::DeviceOptions opts;
        opts.name = "doomed";
        auto g = GuestActor::open(socket, opts);
        if (!g)
            return 2;
        ExportedBuffer a = export_pattern(*g, 64, 64, 1);
        ExportedBuffer b = export_pattern(*g, 64, 64, 2);
        if (!a.memory || !b.memory || !g->device->present(a.id, 0, 1, 0, {}))
            return 4;
        pump_until([] { return false; }, 100, {g.get()}, {});
        if (write(ready_fd, "g", 1) != 1)
            return 3;
        pause();
        return 0;
    });
    ASSERT_GT(guest.pid, 0);
    ASSERT_TRUE(wait_ready(guest.ready.get(), 5000));
    ASSERT_TRUE(pump_until([&] { return viewer->buffers.size() == 2 && viewer->presents.size() == 1; },
                           5000, {}, {viewer.get()}));
    auto held = viewer->client->import(viewer->buffers[0].id);
    ASSERT_TRUE(held);

    kill_and_reap(guest.pid);
    ASSERT_TRUE(pump_until([&] { return viewer->guests_gone.size() == 1; }, 5000, {},
                           {viewer.get()}));
    EXPECT_EQ(viewer->gone.size(), 2u) << "BUFFER_GONE for each buffer before GUEST_GONE";
    // The presentation it held is forgotten: releasing it now is refused, not fatal.
    viewer->client->release(viewer->presents[0].id, viewer->presents[0].sequence);
    EXPECT_FALSE(viewer->client->import(viewer->buffers[1].id));
    EXPECT_TRUE(daemon->alive());

    // The daemon serves the next guest normally.
    auto next = GuestActor::open(daemon->guest_socket());
    ASSERT_TRUE(next);
    viewer->auto_release = true;
    ExportedBuffer c = export_pattern(*next, 64, 64, 3);
    ASSERT_TRUE(next->device->present(c.id, 0, 1, 0, {}));
    ASSERT_TRUE(pump_until([&] { return next->releases.size() == 1; }, 5000, {next.get()},
                           {viewer.get()}));
}

TEST(Lifecycle, DaemonStopsCleanlyAndRemovesSockets) {
    auto daemon = DaemonProcess::start();
    ASSERT_TRUE(daemon);
    auto guest = GuestActor::open(daemon->guest_socket());
    auto viewer = ViewerActor::connect(daemon->consumer_socket());
    ASSERT_TRUE(guest && viewer);
    int status = daemon->stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    EXPECT_NE(access(daemon->guest_socket().c_str(), F_OK), 0);
    EXPECT_NE(access(daemon->consumer_socket().c_str(), F_OK), 0);
    ASSERT_TRUE(pump_until([&] { return guest->lost && viewer->disconnected; }, 3000,
                           {guest.get()}, {viewer.get()}));
}

// A second daemon on the same socket paths must not steal them from a live one
// (it used to log "removed stale socket" and leave the first unreachable): it
// exits non-zero naming the first daemon's pid; the first keeps serving. A
// socket left by a killed daemon is still replaced.
TEST(Lifecycle, SecondDaemonOnLiveSocketsRefuses) {
    auto daemon = DaemonProcess::start();
    ASSERT_TRUE(daemon);
    const std::string log = daemon->dir() + "/second.log";
    UniqueFd log_fd{open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    ASSERT_TRUE(log_fd);
    auto second = ChildProcess::spawn({vdmabufd_path(), "--guest-socket", daemon->guest_socket(),
                                       "--consumer-socket", daemon->consumer_socket()},
                                      log_fd.get());
    ASSERT_TRUE(second);
    EXPECT_FALSE(second.wait_for_line("vdmabufd: ready", 3000));
    int status = second.stop(SIGTERM, 2000);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "status " << status;
    std::stringstream err;
    err << std::ifstream(log).rdbuf();
    EXPECT_NE(err.str().find("pid " + std::to_string(daemon->pid())), std::string::npos)
        << err.str();
    EXPECT_EQ(err.str().find("removed stale socket"), std::string::npos) << err.str();

    EXPECT_TRUE(daemon->alive());
    auto guest = GuestActor::open(daemon->guest_socket());
    auto viewer = ViewerActor::connect(daemon->consumer_socket());
    EXPECT_TRUE(guest && viewer) << "the first daemon still owns both sockets";
    guest.reset();
    viewer.reset();

    daemon->stop(SIGKILL); // leaves both socket files behind
    EXPECT_EQ(access(daemon->consumer_socket().c_str(), F_OK), 0);
    EXPECT_TRUE(daemon->restart()) << "a dead daemon's sockets are stale and replaced";
}

} // namespace
} // namespace vdmabuf::harness
