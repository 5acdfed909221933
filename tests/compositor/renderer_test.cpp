// The renderer choice (--renderer; guest-compositor/src/render/gl_setup.hpp) where
// the GL path cannot work, i.e. on every machine but a VM lane's guest: auto takes
// pixman and says why, once; gl exits 1 at start with the reason; pixman says it was
// asked for. The GL path itself (GLES2 into GBM buffers, exported by the kernel
// driver) can only run in the VM lane (tests/vm).
#include <gtest/gtest.h>

#include <glob.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "fixture.hpp"

namespace vdmabuf::compositor_test {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

bool has_primary_node() {
    glob_t g{};
    const bool found = ::glob("/dev/dri/card*", 0, nullptr, &g) == 0 && g.gl_pathc > 0;
    ::globfree(&g);
    return found;
}

// The cases below expect no DRM device; a machine with one exits 77 (skip).
void require_no_primary_node() {
    if (has_primary_node()) {
        std::printf("SKIP: this machine has /dev/dri/card*: the GL path may work here\n");
        std::exit(77);
    }
}

// A compositor with its stderr in `log`, without vdmabufd.
struct Bare {
    std::string runtime_dir;
    std::string log;
    ChildProcess process;

    Bare(const std::string& name, const std::vector<std::string>& args) {
        char tmpl[] = "/tmp/vdmabuf-xdg-XXXXXX";
        runtime_dir = ::mkdtemp(tmpl) ? tmpl : "/tmp";
        log = ::testing::TempDir() + "renderer-" + name + "-" + std::to_string(::getpid()) + ".log";
        std::vector<std::string> argv{"/bin/sh",
                                      "-c",
                                      "exec \"$@\" 2>\"$0\"",
                                      log,
                                      "/usr/bin/env",
                                      "-u",
                                      "WAYLAND_DISPLAY",
                                      "-u",
                                      "DISPLAY",
                                      "XDG_RUNTIME_DIR=" + runtime_dir,
                                      compositor_path(),
                                      "--output",
                                      "640x480"};
        argv.insert(argv.end(), args.begin(), args.end());
        process = ChildProcess::spawn(argv);
    }
    ~Bare() {
        process.stop(SIGTERM, 5000);
        std::error_code ec;
        if (runtime_dir != "/tmp")
            std::filesystem::remove_all(runtime_dir, ec);
    }
    // The wait status once it exited within timeout_ms, else nullopt.
    std::optional<int> wait_exit(int timeout_ms) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        int status = 0;
        while (std::chrono::steady_clock::now() < end) {
            if (process.exited(&status))
                return status;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return std::nullopt;
    }
    // Waits until the log holds `what` (true) or timeout_ms passes.
    bool wait_log(const std::string& what, int timeout_ms) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (read_file(log).find(what) == std::string::npos) {
            if (std::chrono::steady_clock::now() > end)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }
};

constexpr const char* kAutoPixman = "renderer: pixman into guest memory (gl not used: ";
constexpr const char* kVirtioUser =
    "is not a character device, so a vdmabufd socket (virtio-user), which cannot export "
    "dma-bufs";
constexpr const char* kNoNode = "no DRM primary node (/dev/dri/card*)";
constexpr const char* kGlError = "--renderer gl cannot work here: ";

// auto (the default) on the virtio-user device: pixman, the reason logged once, and
// frames arrive as always.
TEST(Renderer, AutoOnVirtioUserFallsBackToPixmanAndSaysWhyOnce) {
    CompositorOptions opts;
    opts.stderr_file =
        ::testing::TempDir() + "renderer-auto-" + std::to_string(::getpid()) + ".log";
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "160x120"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    ASSERT_TRUE(f->pump_until([&] { return f->viewer().presents >= 1; }, 20000))
        << "no frame presented";
    const std::string log = read_file(opts.stderr_file);
    EXPECT_EQ(count(log, kAutoPixman), 1u) << log;
    EXPECT_NE(log.find(kVirtioUser), std::string::npos) << log;
    EXPECT_EQ(log.find(kGlError), std::string::npos) << log;
}

// --renderer pixman: no probe, and the log says it was asked for.
TEST(Renderer, PixmanOnRequestProbesNothing) {
    CompositorOptions opts;
    opts.stderr_file =
        ::testing::TempDir() + "renderer-pixman-" + std::to_string(::getpid()) + ".log";
    opts.extra_args = {"--renderer", "pixman"};
    opts.command = {pattern_client_path(), "--mode", "still", "--size", "160x120"};
    std::string error;
    auto f = CompositorFixture::start(opts, error);
    ASSERT_TRUE(f) << error;
    ASSERT_TRUE(f->pump_until([&] { return f->viewer().presents >= 1; }, 20000))
        << "no frame presented";
    const std::string log = read_file(opts.stderr_file);
    EXPECT_NE(log.find("renderer: pixman into guest memory (--renderer pixman)"), std::string::npos)
        << log;
    EXPECT_EQ(log.find("gl not used"), std::string::npos) << log;
}

// auto with a character device (the kernel frontend's kind) but no DRM node: the reason
// is the missing node alone. (/dev/null then fails the driver's INFO ioctl and the
// compositor keeps retrying the device, as it does for any missing device.)
TEST(Renderer, AutoOnTheKernelDeviceWithoutADrmNodeSaysSo) {
    require_no_primary_node();
    Bare c("auto-kernel", {"--device", "/dev/null"});
    ASSERT_TRUE(c.process);
    ASSERT_TRUE(c.wait_log(kAutoPixman, 10000)) << read_file(c.log);
    const std::string log = read_file(c.log);
    EXPECT_NE(log.find(std::string(kAutoPixman) + kNoNode + ")"), std::string::npos) << log;
    EXPECT_EQ(log.find("virtio-user"), std::string::npos) << log;
    EXPECT_FALSE(c.process.exited()) << log;
}

// --renderer gl where neither the device nor a DRM node allows it: exit status 1 at
// start, nothing served, and every reason on one line.
TEST(Renderer, GlWithoutADrmNodeExitsWithTheReasons) {
    require_no_primary_node();
    Bare c("gl-no-node", {"--renderer", "gl", "--device", "/nonexistent/guest.sock"});
    ASSERT_TRUE(c.process);
    const auto status = c.wait_exit(10000);
    const std::string log = read_file(c.log);
    ASSERT_TRUE(status) << "still running after 10 s:\n" << log;
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1)
        << "wait status 0x" << std::hex << *status << "\n"
        << log;
    const size_t at = log.find(kGlError);
    ASSERT_NE(at, std::string::npos) << log;
    const std::string line = log.substr(at, log.find('\n', at) - at);
    EXPECT_NE(line.find(kVirtioUser), std::string::npos) << line;
    EXPECT_NE(line.find(kNoNode), std::string::npos) << line;
    EXPECT_EQ(log.find("renderer: pixman"), std::string::npos) << log;
}

// --renderer gl on the kernel device's kind with a --drm-node that does not open: the
// node and errno are the reason (or the build's lack of GL), exit status 1.
TEST(Renderer, GlOnANodeThatDoesNotOpenExitsWithTheReason) {
    Bare c("gl-bad-node",
           {"--renderer", "gl", "--device", "/dev/null", "--drm-node", "/nonexistent/card7"});
    ASSERT_TRUE(c.process);
    const auto status = c.wait_exit(10000);
    const std::string log = read_file(c.log);
    ASSERT_TRUE(status) << "still running after 10 s:\n" << log;
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1)
        << "wait status 0x" << std::hex << *status << "\n"
        << log;
    const bool opened =
        log.find(std::string(kGlError) + "/nonexistent/card7: open: No such file or directory") !=
        std::string::npos;
    const bool no_gl =
        log.find(std::string(kGlError) + "built without GLES2 and GBM") != std::string::npos;
    EXPECT_TRUE(opened || no_gl) << log;
    EXPECT_EQ(log.find("virtio-user"), std::string::npos) << log;
}

} // namespace
} // namespace vdmabuf::compositor_test
