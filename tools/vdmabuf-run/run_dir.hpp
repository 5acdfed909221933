// The private directory (0700) holding vdmabufd's sockets and the guest
// compositor's XDG_RUNTIME_DIR; removed with everything in it on destruction.
// It holds an "owner" file (pid and start time): create() first removes the
// directories of earlier runs whose owner is dead (killed by SIGKILL).
#pragma once

#include <optional>
#include <string>

namespace vdmabuf::run {

class RunDir {
public:
    [[nodiscard]] static std::optional<RunDir> create();
    ~RunDir();
    RunDir(RunDir&& other) noexcept;
    RunDir& operator=(RunDir&&) = delete;
    RunDir(const RunDir&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string xdg() const { return path_ + "/xdg"; }

private:
    explicit RunDir(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

} // namespace vdmabuf::run
