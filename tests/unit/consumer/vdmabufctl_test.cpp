// vdmabufctl as a process: its exit codes and what it prints, against a
// scripted daemon on a listening socket. $VDMABUFCTL names the binary.
#include "fake_daemon.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

namespace vdmabuf::consumer::test {
namespace {

struct CtlResult {
    int status = -1;
    std::string out;
};

CtlResult run_ctl(const std::string& args) {
    const char* exe = std::getenv("VDMABUFCTL");
    CtlResult r;
    if (!exe) {
        ADD_FAILURE() << "VDMABUFCTL is not set";
        return r;
    }
    std::string cmd = std::string(exe) + " " + args + " 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        return r;
    char buf[512];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

TEST(Vdmabufctl, UsageAndUnreachable) {
    CtlResult help = run_ctl("--help");
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("usage: vdmabufctl"), std::string::npos);
    EXPECT_EQ(run_ctl("").status, 2);
    EXPECT_EQ(run_ctl("frobnicate").status, 2);
    EXPECT_EQ(run_ctl("list stats").status, 2);
    EXPECT_EQ(run_ctl("list --bogus").status, 2);
    EXPECT_EQ(run_ctl("list --connect").status, 2);
    EXPECT_EQ(run_ctl("--connect /nonexistent/consumer.sock stats").status, 1);
}

TEST(Vdmabufctl, PrintsTheStatsReply) {
    char dir[] = "/tmp/vdmabufctl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string path = std::string(dir) + "/consumer.sock";
    UniqueFd listener{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener.get(), 4), 0);

    vdmabuf_c_hello hello{};
    vdmabuf_c_stats stats{};
    std::thread daemon([&] {
        UniqueFd conn{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
        std::vector<uint8_t> buf(256);
        if (::recv(conn.get(), buf.data(), buf.size(), 0) != sizeof hello)
            return;
        std::memcpy(&hello, buf.data(), sizeof hello);
        auto w = welcome(1, VDMABUF_IMPORT_MEMFD, hello.hdr.tag);
        (void)::send(conn.get(), w.data(), w.size(), MSG_NOSIGNAL);
        if (::recv(conn.get(), buf.data(), buf.size(), 0) != sizeof stats)
            return;
        std::memcpy(&stats, buf.data(), sizeof stats);
        auto r = stats_reply(stats.format, "{\"guests\":[]}", stats.hdr.tag);
        (void)::send(conn.get(), r.data(), r.size(), MSG_NOSIGNAL);
        (void)::recv(conn.get(), buf.data(), buf.size(), 0); // until it hangs up
    });
    CtlResult r = run_ctl("--connect " + path + " list --json");
    daemon.join();
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "{\"guests\":[]}\n");
    EXPECT_EQ(hello.role, uint32_t{VDMABUF_ROLE_CONTROL});
    EXPECT_EQ(stats.hdr.type, uint32_t{VDMABUF_C_STATS});
    EXPECT_EQ(stats.format, VDMABUF_C_STATS_JSON);
    EXPECT_EQ(stats.what, VDMABUF_C_WHAT_LIST);
    ::unlink(path.c_str());
    ::rmdir(dir);
}

} // namespace
} // namespace vdmabuf::consumer::test
