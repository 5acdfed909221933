// A viewer stopped (SIGSTOP) while its guest goes away resumes cleanly: the
// frames and buffers it reads late are of a guest that is gone, so the import
// and release refusals vdmabufd answers are expected, not errors to warn
// about; it then waits for a guest as usual (issue 18).
#include "fault_fixture.hpp"

#include "actors.hpp"
#include "daemon_process.hpp"

#include <vdmabuf/shared/time.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <unistd.h>

namespace vdmabuf::fault {
namespace {

using harness::GuestActor;

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    ::lseek(fd, 0, SEEK_SET);
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    return out;
}

TEST(ViewerResume, GuestGoneWhileStoppedIsNoError) {
    auto daemon = harness::DaemonProcess::start({"--release-timeout", "600000"});
    ASSERT_TRUE(daemon);
    auto control = Control::connect(daemon->consumer_socket());
    ASSERT_TRUE(control);
    frontend::DeviceOptions dopts;
    dopts.name = "resume-guest";
    dopts.memory_size = 16 << 20;
    auto guest = GuestActor::open(daemon->guest_socket(), dopts);
    ASSERT_TRUE(guest);
    std::vector<harness::ExportedBuffer> bufs;
    for (uint32_t i = 0; i < 4; ++i) {
        bufs.push_back(harness::export_pattern(*guest, 320, 240, i));
        ASSERT_TRUE(bufs.back().memory);
    }

    UniqueFd err(::memfd_create("viewer-stderr", MFD_CLOEXEC));
    ASSERT_TRUE(err);
    ChildProcess viewer = ChildProcess::spawn(
        {viewer_path(), "--connect", daemon->consumer_socket(), "--presenter", "headless"},
        err.get());
    ASSERT_TRUE(viewer && viewer.wait_for_line("vdmabuf-viewer: ready", 20000));
    uint64_t sequence = 0;
    ASSERT_TRUE(guest->device->present(bufs[0].id, 0, ++sequence, now_ns(), {}));
    ASSERT_TRUE(viewer.wait_for_line("vdmabuf-viewer: showing", 10000));

    // Stopped, it gets new buffers and frames it has not read when the guest goes.
    ASSERT_EQ(::kill(viewer.pid(), SIGSTOP), 0);
    for (uint32_t i = 4; i < 6; ++i) {
        bufs.push_back(harness::export_pattern(*guest, 320, 240, i));
        ASSERT_TRUE(bufs.back().memory);
    }
    for (size_t i = 1; i < bufs.size(); ++i)
        ASSERT_TRUE(guest->device->present(bufs[i].id, 0, ++sequence, now_ns(), {}));
    (void)harness::pump_until([] { return false; }, 300, {guest.get()}, {});
    guest.reset();
    ASSERT_TRUE(poll_until([&] {
        auto s = control->state();
        return s && s->guests == 0;
    }, 5000)) << "vdmabufd never dropped the guest";
    const size_t before = read_all(err.get()).size();
    ASSERT_EQ(::kill(viewer.pid(), SIGCONT), 0);

    // It reads the backlog, sees the guest go and waits; nothing is wrong.
    ASSERT_TRUE(poll_until([&] {
        auto s = control->state();
        return s && s->held == 0 && s->queued == 0;
    }, 5000));
    ::usleep(500 * 1000);
    EXPECT_FALSE(viewer.exited()) << "the viewer exited";
    const std::string log = read_all(err.get()).substr(before);
    std::printf("viewer's stderr after SIGCONT:\n%s", log.c_str());
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.find(" WARN "), std::string::npos) << line;
        EXPECT_EQ(line.find(" ERROR "), std::string::npos) << line;
    }
    viewer.stop();
}

} // namespace
} // namespace vdmabuf::fault
