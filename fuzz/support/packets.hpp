// SOCK_SEQPACKET helpers for the consumer-protocol targets.
#pragma once

#include <vdmabuf/shared/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace vdmabuf::fuzz {

// A connected non-blocking SOCK_SEQPACKET pair.
bool seqpacket_pair(UniqueFd& a, UniqueFd& b);
// Sends one packet with `nfds` fresh 64 KiB memfds attached (closed here after
// sending). False if the socket would block or failed.
bool send_packet(int sock, std::span<const uint8_t> bytes, unsigned nfds);
// Reads and discards every waiting packet, closing the fds they carried.
// Returns how many packets were read.
size_t drain_packets(int sock);

} // namespace vdmabuf::fuzz
