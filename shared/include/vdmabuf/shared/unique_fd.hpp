// Move-only owner of a file descriptor. Functions that take ownership take
// UniqueFd&&; functions that only borrow take int.
#pragma once

#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace vdmabuf {

class UniqueFd {
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    ~UniqueFd() { reset(); }

    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other)
            reset(other.release());
        return *this;
    }

    [[nodiscard]] int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept {
        int old = std::exchange(fd_, fd);
        if (old >= 0)
            ::close(old);
    }
    // An independent descriptor for the same file, close-on-exec; empty on failure.
    [[nodiscard]] UniqueFd dup_cloexec() const noexcept {
        return fd_ < 0 ? UniqueFd{} : UniqueFd{::fcntl(fd_, F_DUPFD_CLOEXEC, 0)};
    }

private:
    int fd_ = -1;
};

} // namespace vdmabuf
