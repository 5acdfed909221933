#define VDM_LOG_SCOPE "import"
#include "import/import_probe.hpp"

#include <vdmabuf/shared/child_process.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <sys/wait.h>
#include <unistd.h>

namespace vdmabuf::viewer {
namespace {

// eglInitialize (LLVM loaded over 9p) takes up to 4 s and the first draw's
// shader JIT several more under QEMU TCG: a generous bound, hit only by a
// hung driver.
constexpr int kProbeTimeoutMs = 60'000;

std::string how_it_ended(int status) {
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* abbrev = sigabbrev_np(sig);
        return "probe child died of " + (abbrev ? "SIG" + std::string(abbrev) : "signal") + " (" +
               std::to_string(sig) + ")";
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return "probe child could not exec /proc/self/exe (status 127)";
    if (WIFEXITED(status))
        return "probe child exited with status " + std::to_string(WEXITSTATUS(status));
    return "probe child ended with wait status " + std::to_string(status);
}

ImportTrust decide(ImportChoice choice, const EglContext& ctx, const DmabufImporter& importer) {
    if (choice == ImportChoice::Copy)
        return {false, "--import copy"};
    if (!importer.unavailable().empty())
        return {false, importer.unavailable()};
    if (choice == ImportChoice::Dmabuf)
        return {true, "--import dmabuf (trusted without a probe)"};
    const std::string driver = ctx.display().driver_name().empty()
                                   ? std::string()
                                   : ", EGL driver " + ctx.display().driver_name();
    if (!is_software_renderer(ctx))
        return {true, "hardware renderer " + ctx.renderer() + driver};
    if (access("/dev/udmabuf", R_OK | W_OK) != 0)
        return {false, "software renderer " + ctx.renderer() + driver +
                           " advertises the import, and without /dev/udmabuf (" +
                           std::strerror(errno) + ") it cannot be probed"};
    ImportTrust probe = probe_import_in_child(kProbeTimeoutMs);
    probe.reason = "software renderer " + ctx.renderer() + driver + ": " + probe.reason;
    return probe;
}

} // namespace

bool is_software_renderer(const EglContext& ctx) {
    const std::string& r = ctx.renderer();
    const std::string& d = ctx.display().driver_name();
    return r.find("llvmpipe") != std::string::npos || r.find("softpipe") != std::string::npos ||
           r.find("Software Rasterizer") != std::string::npos ||
           d.find("swrast") != std::string::npos;
}

const ImportTrust& dmabuf_import_trust(ImportChoice choice, const EglContext& ctx,
                                       const DmabufImporter& importer) {
    // Once per process: the probe costs seconds, and every pane of a viewer
    // runs on the same driver.
    static std::optional<ImportTrust> verdict;
    if (!verdict) {
        verdict = decide(choice, ctx, importer);
        if (verdict->trusted)
            VDM_INFO("zero-copy import enabled: %s", verdict->reason.c_str());
        else
            VDM_INFO("zero-copy import disabled: %s; using the copy path", verdict->reason.c_str());
    }
    return *verdict;
}

const ImportTrust& compositor_dmabuf_trust(ImportChoice choice) {
    static std::optional<ImportTrust> verdict;
    if (verdict)
        return *verdict;
    if (choice == ImportChoice::Copy) {
        verdict = ImportTrust{false, "--import copy"};
    } else if (choice == ImportChoice::Dmabuf) {
        verdict = ImportTrust{true, "--import dmabuf (trusted without a probe)"};
    } else if (access("/dev/udmabuf", R_OK | W_OK) != 0) {
        verdict = ImportTrust{true, std::string("no /dev/udmabuf (") + std::strerror(errno) +
                                        "): no dma-buf can come, nothing to probe"};
    } else {
        verdict = probe_import_in_child(kProbeTimeoutMs);
        verdict->reason = "surfaceless EGL on this machine (as a compositor here renders): " +
                          verdict->reason;
    }
    if (verdict->trusted)
        VDM_INFO("dma-bufs to the compositor (linux-dmabuf) allowed: %s", verdict->reason.c_str());
    else
        VDM_INFO("dma-bufs to the compositor (linux-dmabuf) not allowed: %s",
                 verdict->reason.c_str());
    return *verdict;
}

ImportTrust probe_import_in_child(int timeout_ms) {
    const uint64_t start = now_ns();
    // /proc/self/exe, not its target's name: the forked child execs the very
    // binary it was forked from, even one replaced on disk since.
    ChildProcess child = ChildProcess::spawn({"/proc/self/exe", std::string(kImportProbeFlag)});
    if (!child)
        return {false, "cannot start the probe child"};
    // The verdict is the last line before EOF; EOF comes when it exits or dies.
    std::string line, verdict;
    const uint64_t deadline = start + uint64_t(timeout_ms) * 1'000'000u;
    while (now_ns() < deadline && child.read_line(line, int((deadline - now_ns()) / 1'000'000u)))
        verdict = line;
    int status = 0;
    while (!child.exited(&status)) {
        if (now_ns() >= deadline) {
            child.stop(SIGKILL, 1000);
            return {false, "probe child did not finish within " + std::to_string(timeout_ms) +
                               " ms (killed)"};
        }
        usleep(2000);
    }
    const std::string took = " after " + std::to_string((now_ns() - start) / 1'000'000u) + " ms";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && verdict == "ok")
        return {true, "probe child imported a udmabuf and read back exact pixels" + took};
    std::string reason = how_it_ended(status) + took;
    if (!verdict.empty() && verdict != "ok")
        reason += ": " + verdict;
    return {false, reason};
}

} // namespace vdmabuf::viewer
