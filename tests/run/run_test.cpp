// Runs vdmabuf-run as the user would and checks what it leaves behind: a
// screenshot of the guest's picture, the figures, no processes, no temp dir.
// The test is a child subreaper, so anything vdmabuf-run orphans becomes our
// child and shows up in waitpid().
#include <vdmabuf/shared/png.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <poll.h>
#include <regex>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Result {
    int status = -1;
    std::string output; // stdout and stderr, interleaved
};

// Runs argv with extra NAME=VALUE env entries; gives up after timeout_s.
Result run(std::vector<std::string> argv, const std::vector<std::string>& env, int timeout_s) {
    Result r;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return r;
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        for (const auto& e : env)
            putenv(const_cast<char*>(e.c_str()));
        execv(args[0], args.data());
        _exit(127);
    }
    close(fds[1]);
    char buf[4096];
    for (;;) {
        pollfd pfd{fds[0], POLLIN, 0};
        if (poll(&pfd, 1, timeout_s * 1000) <= 0) {
            r.output += "\n[test: timed out reading output]\n";
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        r.output.append(buf, size_t(n));
    }
    close(fds[0]);
    waitpid(pid, &r.status, 0);
    return r;
}

// Children left over (orphans reparented to us, alive or zombies). Kills
// and reaps them so one failure does not leak into the next test.
int leftover_children() {
    int count = 0, st = 0;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
        ++count; // a zombie: left to die unreaped
    if (p < 0)
        return count; // ECHILD: none
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::ifstream stat(e.path() / "stat");
        std::string pid, comm, state;
        pid_t ppid = 0;
        if (stat >> pid >> comm >> state >> ppid && ppid == getpid()) {
            ++count;
            kill(pid_t(std::stol(pid)), SIGKILL);
        }
    }
    while (waitpid(-1, &st, 0) > 0) {
    }
    return count;
}

class Run : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
};

TEST_F(Run, TwoSecondsEndToEnd) {
    char shot_tmpl[] = "/tmp/vdmabuf-run-test-XXXXXX";
    ASSERT_NE(mkdtemp(shot_tmpl), nullptr);
    const std::string shot = std::string(shot_tmpl) + "/shot.png";
    Result r = run({VDMABUF_RUN_PATH, "--seconds", "2", "--screenshot", shot}, {}, 60);
    SCOPED_TRACE(r.output);
    ASSERT_TRUE(WIFEXITED(r.status));
    EXPECT_EQ(WEXITSTATUS(r.status), 0);

    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.output, m, std::regex("frames: ([0-9]+) shown")));
    EXPECT_GT(std::stoul(m[1]), 0u);
    for (const char* line : {"latency accepted_to_sent", "latency sent_to_release", "import path: ",
                             "bytes copied per frame: ", "[1/4] starting vdmabufd",
                             "[4/4] running for 2 s"})
        EXPECT_NE(r.output.find(line), std::string::npos) << line;

    auto img = vdmabuf::read_png(shot.c_str());
    ASSERT_TRUE(img);
    EXPECT_EQ(img->width, 1280u);
    EXPECT_EQ(img->height, 720u);
    const uint32_t* px = reinterpret_cast<const uint32_t*>(img->pixels.data());
    size_t differing = 0;
    for (size_t i = 0; i < size_t(img->width) * img->height; ++i)
        differing += px[i] != px[0];
    EXPECT_GT(differing, 1000u) << "the screenshot is a flat colour";

    // A clean stop: no device error answered on the way (vdmabufd logs ERR_...).
    EXPECT_EQ(r.output.find("ERR_"), std::string::npos);
    ASSERT_TRUE(std::regex_search(r.output, m, std::regex("run dir: (\\S+)")));
    EXPECT_NE(access(m[1].str().c_str(), F_OK), 0) << m[1] << " is still there";
    EXPECT_EQ(leftover_children(), 0);
    unlink(shot.c_str());
    rmdir(shot_tmpl);
}

TEST_F(Run, SaysWhichPartFailed) {
    Result r = run({VDMABUF_RUN_PATH, "--seconds", "1", "--screenshot", "/tmp/vdmabuf-run-test-unused.png"}, {"VDMABUFD=/bin/false"}, 30);
    SCOPED_TRACE(r.output);
    ASSERT_TRUE(WIFEXITED(r.status));
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_NE(r.output.find("vdmabufd failed to start: exited with status 1"), std::string::npos);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.output, m, std::regex("run dir: (\\S+)")));
    EXPECT_NE(access(m[1].str().c_str(), F_OK), 0);
    EXPECT_EQ(leftover_children(), 0);
}

// Bad arguments are refused at once, each with its reason: --screenshot "" used
// to exit 2 silently, --seconds nan to run forever, and a --screenshot in a
// missing directory to create it (as root: /nonexistent/...).
TEST_F(Run, BadArgumentsSayWhy) {
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::string missing = "/tmp/vdmabuf-run-test-missing-dir";
    std::filesystem::remove_all(missing);
    const std::vector<Case> cases = {
        {{"--screenshot", ""}, "--screenshot needs a file name"},
        {{"--screenshot", missing + "/sub/x.png"}, "does not exist"},
        {{"--screenshot", "/tmp"}, "is a directory"},
        {{"--seconds", "nan"}, "bad --seconds nan"},
        {{"--seconds", "inf"}, "bad --seconds inf"},
        {{"--seconds", ""}, "bad --seconds"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> argv{VDMABUF_RUN_PATH};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        Result r = run(argv, {}, 10);
        SCOPED_TRACE(c.args[0] + " '" + c.args[1] + "': " + r.output);
        ASSERT_TRUE(WIFEXITED(r.status));
        EXPECT_EQ(WEXITSTATUS(r.status), 2);
        EXPECT_NE(r.output.find(c.says), std::string::npos);
        EXPECT_EQ(r.output.find("run dir:"), std::string::npos) << "nothing was started";
    }
    EXPECT_NE(access(missing.c_str(), F_OK), 0) << "the directory was created";
    EXPECT_EQ(leftover_children(), 0);
}

// kill -9 of vdmabuf-run: its parts (vdmabufd, the compositor and its client,
// the viewer) die with it (PR_SET_PDEATHSIG), and the next run removes the
// run dir the killed one could not.
TEST_F(Run, KilledRunTakesItsPartsAlong) {
    char tmp_tmpl[] = "/tmp/vdmabuf-run-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmp_tmpl), nullptr);
    const std::string tmp = tmp_tmpl;
    const std::string shot = tmp + "/shot.png";
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        setenv("TMPDIR", tmp.c_str(), 1);
        execl(VDMABUF_RUN_PATH, VDMABUF_RUN_PATH, "--seconds", "0", "--screenshot", shot.c_str(),
              nullptr);
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buf[1024];
    while (out.find("[4/4]") == std::string::npos) {
        pollfd pfd{fds[0], POLLIN, 0};
        if (poll(&pfd, 1, 30000) <= 0)
            break;
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        out.append(buf, size_t(n));
    }
    close(fds[0]);
    ASSERT_NE(out.find("[4/4]"), std::string::npos) << out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out, m, std::regex("run dir: (\\S+)")));
    const std::string run_dir = m[1];
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);

    // Orphans are reparented to us (subreaper): wait for all of them to exit.
    int alive = -1;
    for (int i = 0; i < 100 && alive != 0; ++i) {
        while (waitpid(-1, &st, WNOHANG) > 0) {
        }
        alive = 0;
        for (const auto& e : std::filesystem::directory_iterator("/proc")) {
            std::ifstream stat(e.path() / "stat");
            std::string p, comm, state;
            pid_t ppid = 0;
            if (stat >> p >> comm >> state >> ppid && ppid == getpid())
                ++alive;
        }
        if (alive)
            usleep(100'000);
    }
    EXPECT_EQ(alive, 0) << "parts still running 10 s after vdmabuf-run was killed";
    EXPECT_EQ(leftover_children(), 0);
    ASSERT_EQ(access(run_dir.c_str(), F_OK), 0) << "a SIGKILLed process cannot clean up";

    // The next run (here: one refused early, after the sweep) removes it.
    Result next = run({VDMABUF_RUN_PATH, "--seconds", "1", "--screenshot", shot},
                      {"VDMABUFD=/bin/false", "TMPDIR=" + tmp}, 30);
    EXPECT_NE(next.output.find("removing " + run_dir), std::string::npos) << next.output;
    EXPECT_NE(access(run_dir.c_str(), F_OK), 0) << run_dir << " is still there";
    EXPECT_EQ(leftover_children(), 0);
    std::filesystem::remove_all(tmp);
}

} // namespace
