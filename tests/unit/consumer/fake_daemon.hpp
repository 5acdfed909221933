// A scripted stand-in for vdmabufd's consumer side: the daemon end of a real
// SOCK_SEQPACKET socketpair, message builders, and an optional script thread
// for exchanges the Client makes synchronously (import, stats).
#pragma once

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <vdmabuf_consumer.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vdmabuf::consumer::test {

using Bytes = std::vector<uint8_t>;

template <class T> Bytes bytes_of(const T& m) {
    Bytes b(sizeof m);
    std::memcpy(b.data(), &m, sizeof m);
    return b;
}

// Message builders: correct by default, hdr.size filled in.
// release_timeout_ms 0: the 32-byte WELCOME; else the 40-byte one saying it.
Bytes welcome(uint32_t consumer, uint32_t mode, uint64_t tag = 1, uint32_t release_timeout_ms = 0);
Bytes guest(uint32_t type, uint32_t guest_id, const char* name);
Bytes buffer_new(const vdmabuf_id& id, uint32_t width, uint32_t height, uint64_t size);
Bytes present(const vdmabuf_id& id, uint64_t sequence, uint32_t n_damage = 0, uint32_t output = 0);
Bytes buffer_gone(const vdmabuf_id& id);
Bytes error(uint32_t request, uint32_t code, uint64_t tag);
Bytes import_reply(const vdmabuf_id& id, uint32_t mode, uint32_t n_fds,
                   const std::vector<vdmabuf_c_import_extent>& extents, uint64_t tag);
Bytes stats_reply(uint32_t format, const std::string& text, uint64_t tag);

vdmabuf_id make_id(uint32_t counter);

// Fields of a received client packet, read by memcpy.
template <class T> T as(const Bytes& b) {
    T m{};
    std::memcpy(&m, b.data(), std::min(sizeof m, b.size()));
    return m;
}

class FakeDaemon {
public:
    FakeDaemon();
    ~FakeDaemon(); // joins the script thread

    // The client's end, for Client::adopt(). Once only.
    [[nodiscard]] UniqueFd take_client_end() { return std::move(client_end_); }

    bool send(const Bytes& packet, std::initializer_list<int> fds = {});
    bool send_fds(const Bytes& packet, const std::vector<int>& fds);
    // One packet from the client; nullopt on timeout or hangup.
    std::optional<Bytes> recv(int timeout_ms = 2000);
    void close() { sock_.reset(); }
    [[nodiscard]] int fd() const noexcept { return sock_.get(); }

    // Runs script on a thread (joined by join() or the destructor).
    void run(std::function<void(FakeDaemon&)> script);
    void join();

    // Pre-sends WELCOME, adopts the client end, and reads back its HELLO.
    std::unique_ptr<Client> connect_viewer(uint32_t mode = VDMABUF_IMPORT_MEMFD);

private:
    UniqueFd sock_;
    UniqueFd client_end_;
    std::thread thread_;
};

// Open fds of this process (for leak checks).
size_t open_fd_count();

// A memfd of n_pages pages, page p filled with byte (seed + p), and a
// read-only reopen of it (what the daemon hands out in MEMFD mode).
struct GuestRam {
    UniqueFd rw;
    UniqueFd ro;
    size_t size = 0;
};
GuestRam make_guest_ram(size_t n_pages, uint8_t seed);

} // namespace vdmabuf::consumer::test
