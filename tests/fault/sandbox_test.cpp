// vdmabufd's sandbox (docs/security.md): once ready it runs under a seccomp
// filter (Seccomp: 2) with no_new_privs; --no-seccomp turns the filter off;
// a socket directory writable by others is refused. Every other suite runs
// with the filter on, which is what shows the allow-list is complete.
#include "fault_fixture.hpp"

#include "actors.hpp"
#include "daemon_process.hpp"
#include "proc_sample.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>

// Sanitizer builds run the filter too (docs/security.md).
constexpr int kExpectedSeccomp = 2;

namespace vdmabuf::fault {
namespace {

int no_new_privs(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("NoNewPrivs:", 0) == 0)
            return std::atoi(line.c_str() + 11);
    return -1;
}

TEST(Sandbox, FilterActiveAndDaemonServes) {
    auto daemon = harness::DaemonProcess::start();
    ASSERT_TRUE(daemon);
    EXPECT_EQ(harness::seccomp_mode(daemon->pid()), kExpectedSeccomp);
    EXPECT_EQ(no_new_privs(daemon->pid()), 1);
    // Frames, imports and stats go through under the filter.
    auto guest = harness::GuestActor::open(daemon->guest_socket());
    auto viewer = harness::ViewerActor::connect(daemon->consumer_socket());
    ASSERT_TRUE(guest && viewer);
    auto b = harness::export_pattern(*guest, 64, 64, 7);
    ASSERT_TRUE(b.memory);
    ASSERT_TRUE(guest->device->present(b.id, 0, 1, 0, {}));
    ASSERT_TRUE(harness::pump_until([&] { return !viewer->presents.empty(); }, 5000, {guest.get()},
                                    {viewer.get()}));
    auto import = viewer->client->import(b.id);
    ASSERT_TRUE(import) << "IMPORT failed under the filter";
    ASSERT_TRUE(viewer->client->release(b.id, 1));
    ASSERT_TRUE(harness::pump_until([&] { return guest->releases.size() == 1; }, 5000,
                                    {guest.get()}, {viewer.get()}));
    EXPECT_TRUE(run_vdmabufctl(daemon->consumer_socket(), {"stats"}));
    EXPECT_TRUE(daemon->alive());
    // An orderly stop (unlinking the sockets) is allowed too.
    const std::string sock = daemon->guest_socket();
    int st = daemon->stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
    EXPECT_FALSE(std::filesystem::exists(sock));
}

TEST(Sandbox, NoSeccompTurnsTheFilterOff) {
    auto daemon = harness::DaemonProcess::start({"--no-seccomp"});
    ASSERT_TRUE(daemon);
    EXPECT_EQ(harness::seccomp_mode(daemon->pid()), 0);
    EXPECT_EQ(no_new_privs(daemon->pid()), 1);
}

TEST(Sandbox, RefusesSocketDirectoryWritableByOthers) {
    char tmpl[] = "/tmp/vdmabuf-fault-dir-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
    ChildProcess d = ChildProcess::spawn({harness::vdmabufd_path(), "--guest-socket", dir + "/g.sock",
                                          "--consumer-socket", dir + "/c.sock"});
    ASSERT_TRUE(d);
    EXPECT_FALSE(d.wait_for_line("vdmabufd: ready", 5000));
    int st = d.stop(SIGKILL, 5000);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) << "status " << st;
    EXPECT_FALSE(std::filesystem::exists(dir + "/g.sock"));
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

} // namespace
} // namespace vdmabuf::fault
