// A non-blocking SOCK_SEQPACKET endpoint: one packet at a time into a buffer of
// VDMABUF_CONSUMER_MAX_MESSAGE bytes allocated once, with its SCM_RIGHTS fds.
#pragma once

#include <vdmabuf/shared/unique_fd.hpp>

#include <vdmabuf_consumer.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace vdmabuf::consumer {

class PacketSocket {
public:
    // sock must be a connected SOCK_SEQPACKET socket; it is made non-blocking.
    explicit PacketSocket(UniqueFd&& sock);

    enum class Recv {
        packet,    // data() and fds() hold it until the next receive()
        empty,     // nothing readable now
        truncated, // too big or too many fds: dropped, its fds closed
        gone,      // peer closed or the socket failed
    };
    Recv receive();

    [[nodiscard]] std::span<const uint8_t> data() const noexcept { return {buf_.get(), len_}; }
    [[nodiscard]] size_t fd_count() const noexcept { return n_fds_; }
    [[nodiscard]] UniqueFd take_fd(size_t i) noexcept { return std::move(fds_[i]); }
    // Closes every fd the current packet carried (the caller did not want them).
    void close_fds() noexcept;

    // Sends one packet; waits up to timeout_ms for room if the socket is full.
    [[nodiscard]] bool send(const void* data, size_t len, int timeout_ms = 1000);
    // Waits up to timeout_ms (-1: forever) for a packet or hangup.
    [[nodiscard]] bool wait_readable(int timeout_ms) const;

    [[nodiscard]] int fd() const noexcept { return sock_.get(); }

private:
    UniqueFd sock_;
    std::unique_ptr<uint8_t[]> buf_;
    size_t len_ = 0;
    std::array<UniqueFd, VDMABUF_CONSUMER_MAX_FDS> fds_;
    size_t n_fds_ = 0;
};

} // namespace vdmabuf::consumer
