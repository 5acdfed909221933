// Starts and stops the whole pipeline (vdmabuf-run: vdmabufd, compositor with
// the demo client, headless viewer) 20 times in a row. After every run, and
// once more at the end, it checks that the run left nothing behind:
//   - processes: the test is a child subreaper, so whatever vdmabuf-run
//     orphans is reparented to us and shows up here; and no process anywhere
//     still names this test's private directory in its command line or
//     environment (sockets, XDG_RUNTIME_DIR all live under it);
//   - sockets and run dirs: vdmabuf-run honours TMPDIR, which points at a
//     private directory; after a run it holds the screenshot and nothing else;
//   - shared memory: the frame buffers are memfds, anonymous, so they can only
//     survive in a living process (checked above) or as a descriptor of ours:
//     /proc/self/fd must not grow, nor /dev/shm gain entries; the system's
//     Shmem (/proc/meminfo) is printed and only loosely bounded, because
//     other tests may run alongside;
//   - every run exited 0 and wrote a 1280x720 PNG that is not one flat colour.
#include <vdmabuf/shared/png.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int kRuns = 20;
constexpr const char* kSeconds = "0.4"; // vdmabuf-run takes fractions (strtod)

struct Outcome {
    int status = -1;
    std::string output;
};

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// Runs argv with TMPDIR=tmpdir, collecting stdout+stderr; kills it after timeout_s.
Outcome spawn(std::vector<std::string> argv, const std::string& tmpdir, double timeout_s) {
    Outcome o;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return o;
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    const std::string env_tmp = "TMPDIR=" + tmpdir;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        putenv(const_cast<char*>(env_tmp.c_str()));
        execv(args[0], args.data());
        _exit(127);
    }
    close(fds[1]);
    const double deadline = now_s() + timeout_s;
    char buf[4096];
    for (;;) {
        int left_ms = int((deadline - now_s()) * 1000);
        pollfd pfd{fds[0], POLLIN, 0};
        if (left_ms <= 0 || poll(&pfd, 1, left_ms) <= 0) {
            o.output += "\n[lifecycle test: timed out]\n";
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        o.output.append(buf, size_t(n));
    }
    close(fds[0]);
    waitpid(pid, &o.status, 0);
    return o;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Orphans reparented to us (alive or zombie). Kills and reaps them, so a
// failure is reported once and does not spill into the next run.
std::vector<std::string> leftover_children() {
    std::vector<std::string> found;
    int st = 0;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
        found.push_back("zombie pid " + std::to_string(p));
    if (p < 0)
        return found; // ECHILD: no children at all
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        std::istringstream stat(slurp(e.path() / "stat"));
        std::string pid, comm, state;
        pid_t ppid = 0;
        if (stat >> pid >> comm >> state >> ppid && ppid == getpid()) {
            found.push_back("pid " + pid + " " + comm);
            kill(pid_t(std::stol(pid)), SIGKILL);
        }
    }
    while (waitpid(-1, &st, 0) > 0) {
    }
    return found;
}

// Processes anywhere whose command line or environment names `dir`.
std::vector<std::string> processes_naming(const std::string& dir) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos || name == std::to_string(getpid()))
            continue;
        std::string cmd = slurp(e.path() / "cmdline");
        std::string env = slurp(e.path() / "environ");
        if (cmd.find(dir) != std::string::npos || env.find(dir) != std::string::npos) {
            for (char& c : cmd)
                if (c == '\0')
                    c = ' ';
            found.push_back("pid " + name + ": " + cmd);
        }
    }
    return found;
}

size_t count_entries(const fs::path& dir) {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

std::set<std::string> entries(const fs::path& dir) {
    std::set<std::string> s;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        s.insert(it->path().filename());
    return s;
}

long shmem_kib() {
    std::istringstream in(slurp("/proc/meminfo"));
    std::string key;
    long value = 0;
    std::string unit;
    while (in >> key >> value) {
        std::getline(in, unit);
        if (key == "Shmem:")
            return value;
    }
    return -1;
}

class Lifecycle : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        char tmpl[] = "/tmp/vdmabuf-lifecycle-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string dir_;
};

TEST_F(Lifecycle, TwentyRunsLeaveNothingBehind) {
    const size_t fds_before = count_entries("/proc/self/fd");
    const std::set<std::string> shm_before = entries("/dev/shm");
    const long shmem_before = shmem_kib();
    const std::string shot = dir_ + "/shot.png";
    const double t0 = now_s();

    for (int i = 0; i < kRuns && !HasFailure(); ++i) {
        SCOPED_TRACE("run " + std::to_string(i + 1) + " of " + std::to_string(kRuns));
        Outcome o = spawn({VDMABUF_RUN_PATH, "--seconds", kSeconds, "--screenshot", shot}, dir_, 30);
        SCOPED_TRACE(o.output);

        // Exited 0 and produced its screenshot.
        ASSERT_TRUE(WIFEXITED(o.status)) << "status " << o.status;
        EXPECT_EQ(WEXITSTATUS(o.status), 0);
        auto img = vdmabuf::read_png(shot.c_str());
        ASSERT_TRUE(img) << "no readable screenshot";
        EXPECT_EQ(img->width, 1280u);
        EXPECT_EQ(img->height, 720u);
        const auto* px = reinterpret_cast<const uint32_t*>(img->pixels.data());
        size_t differing = 0;
        for (size_t k = 0; k < size_t(img->width) * img->height; ++k)
            differing += px[k] != px[0];
        EXPECT_GT(differing, 1000u) << "the screenshot is a flat colour";

        // Its run dir (sockets, the guest's XDG_RUNTIME_DIR) is gone, and the
        // private TMPDIR holds only the screenshot.
        std::smatch m;
        ASSERT_TRUE(std::regex_search(o.output, m, std::regex("run dir: (\\S+)")));
        EXPECT_EQ(m[1].str().rfind(dir_ + "/", 0), 0u) << m[1] << " is not under TMPDIR";
        EXPECT_FALSE(fs::exists(m[1].str())) << m[1] << " is still there";
        fs::remove(shot);
        for (const auto& name : entries(dir_))
            ADD_FAILURE() << "left in TMPDIR: " << name;

        // No process left: neither orphans nor anything still using our dir.
        for (const auto& p : leftover_children())
            ADD_FAILURE() << "leftover child: " << p;
        for (const auto& p : processes_naming(dir_))
            ADD_FAILURE() << "leftover process: " << p;

        // No descriptor gained by us, no named shared memory gained.
        EXPECT_EQ(count_entries("/proc/self/fd"), fds_before);
        for (const auto& name : entries("/dev/shm"))
            if (!shm_before.count(name))
                ADD_FAILURE() << "new /dev/shm entry: " << name;
    }

    // Once more at the end, after everything had time to go.
    EXPECT_TRUE(leftover_children().empty());
    EXPECT_TRUE(processes_naming(dir_).empty());
    EXPECT_EQ(count_entries("/proc/self/fd"), fds_before);
    EXPECT_EQ(entries("/dev/shm"), shm_before);
    const long shmem_after = shmem_kib();
    std::printf("lifecycle: %d runs in %.1f s; /proc/self/fd %zu -> %zu; /dev/shm %zu -> %zu entries; "
                "Shmem %ld -> %ld KiB\n",
                kRuns, now_s() - t0, fds_before, count_entries("/proc/self/fd"), shm_before.size(),
                entries("/dev/shm").size(), shmem_before, shmem_after);
    // A leak of the buffers of every run (several MiB each at 1280x720) would
    // exceed this; other tests' transient buffers stay below it.
    if (shmem_before >= 0 && shmem_after >= 0) {
        EXPECT_LT(shmem_after - shmem_before, 256L * 1024)
            << "Shmem grew by " << (shmem_after - shmem_before) << " KiB";
    }
}

} // namespace
