// The import probe's mechanics on any machine: the child is this binary run
// again with the hidden flag, and the parent reads how it ended. Here the
// child's body is chosen by VDMABUF_TEST_PROBE: "crash" (SIGSEGV, what
// llvmpipe does on stock vgem), "hang", "lie" (exit 0 without "ok"), else the
// real probe child (which fails where there is no /dev/udmabuf or no import).
#include "import/import_choice.hpp"
#include "import/import_probe.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace vdmabuf::viewer {
namespace {

int fake_child(const std::string& what) {
    if (what == "crash") {
        const rlimit no_core{0, 0}; // as run_import_probe_child() does
        setrlimit(RLIMIT_CORE, &no_core);
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
    }
    if (what == "hang")
        pause();
    if (what == "lie")
        std::printf("fine, really\n");
    return 0;
}

struct ProbeEnv {
    explicit ProbeEnv(const char* what) { setenv("VDMABUF_TEST_PROBE", what, 1); }
    ~ProbeEnv() { unsetenv("VDMABUF_TEST_PROBE"); }
};

TEST(ImportChoice, ParsesTheThreeWords) {
    EXPECT_EQ(parse_import_choice("auto"), ImportChoice::Auto);
    EXPECT_EQ(parse_import_choice("dmabuf"), ImportChoice::Dmabuf);
    EXPECT_EQ(parse_import_choice("copy"), ImportChoice::Copy);
    EXPECT_FALSE(parse_import_choice("zero-copy"));
    EXPECT_FALSE(parse_import_choice(""));
}

TEST(ImportProbe, ACrashingChildIsUntrustedAndNamed) {
    ProbeEnv env("crash");
    const ImportTrust t = probe_import_in_child(20000);
    EXPECT_FALSE(t.trusted);
    EXPECT_NE(t.reason.find("probe child died of SIGSEGV (11)"), std::string::npos) << t.reason;
}

TEST(ImportProbe, AHungChildIsKilledAtTheTimeout) {
    ProbeEnv env("hang");
    const ImportTrust t = probe_import_in_child(300);
    EXPECT_FALSE(t.trusted);
    EXPECT_NE(t.reason.find("did not finish within 300 ms (killed)"), std::string::npos)
        << t.reason;
}

TEST(ImportProbe, ExitZeroWithoutOkIsNotTrusted) {
    ProbeEnv env("lie");
    const ImportTrust t = probe_import_in_child(20000);
    EXPECT_FALSE(t.trusted);
    EXPECT_NE(t.reason.find("exited with status 0"), std::string::npos) << t.reason;
    EXPECT_NE(t.reason.find(": fine, really"), std::string::npos) << t.reason;
}

TEST(ImportProbe, TheRealChildSaysWhyItFails) {
    // Trusted only where a udmabuf imports and draws exactly; elsewhere the
    // reason names what was missing or how the child died.
    const ImportTrust t = probe_import_in_child(60000);
    if (t.trusted) { // the zerocopy VM lane
        EXPECT_NE(t.reason.find("read back exact pixels"), std::string::npos) << t.reason;
        return;
    }
    // It says why, or the driver killed it (kms_swrast on stock vgem).
    const bool said = t.reason.find("exited with status 1") != std::string::npos &&
                      t.reason.find(": fail: ") != std::string::npos;
    EXPECT_TRUE(said || t.reason.find("died of SIG") != std::string::npos) << t.reason;
}

} // namespace
} // namespace vdmabuf::viewer

int main(int argc, char** argv) {
    using namespace vdmabuf::viewer;
    if (argc == 2 && argv[1] == kImportProbeFlag) {
        const char* what = std::getenv("VDMABUF_TEST_PROBE");
        return what ? fake_child(what) : run_import_probe_child();
    }
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
