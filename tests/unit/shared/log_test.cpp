// VDMABUF_LOG: a value that is not a level is said once, naming the valid ones.
#include <gtest/gtest.h>

#include <vdmabuf/shared/log.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

// Runs fn with stderr going to a temporary file; returns what was written.
template <class Fn> std::string capture_stderr(Fn fn) {
    std::fflush(stderr);
    FILE* tmp = std::tmpfile();
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    std::string out;
    std::rewind(tmp);
    char buf[512];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, tmp)) > 0)
        out.append(buf, n);
    std::fclose(tmp);
    return out;
}

TEST(Log, BadLevelWarnsOnceAndNamesTheValidOnes) {
    setenv("VDMABUF_LOG", "loud", 1);
    std::string err = capture_stderr([] {
        vdmabuf::log::init_from_env();
        VDM_INFO("first");
        VDM_INFO("second");
    });
    EXPECT_EQ(vdmabuf::log::level(), vdmabuf::log::Level::info);
    size_t at = err.find("VDMABUF_LOG=loud");
    ASSERT_NE(at, std::string::npos) << err;
    EXPECT_EQ(err.find("VDMABUF_LOG", at + 1), std::string::npos) << "once: " << err;
    EXPECT_NE(err.find("silent|error|warn|info|debug|trace"), std::string::npos) << err;
    EXPECT_NE(err.find("second"), std::string::npos) << err;
}

TEST(Log, GoodLevelSaysNothing) {
    for (const char* v : {"debug", "WARN", ""}) {
        setenv("VDMABUF_LOG", v, 1);
        std::string err = capture_stderr([] { vdmabuf::log::init_from_env(); });
        EXPECT_EQ(err, "") << v;
    }
    unsetenv("VDMABUF_LOG");
}

} // namespace
