// A minimal vhost-user back-end for the frontend's device tests, built on the virtio
// library's device side: answers the handshake, HELLO/EXPORT/PRESENT/UNEXPORT (every
// PRESENT released at once, NO_CONSUMER), and lets a test inject raw eventq writes,
// including malformed ones. Runs on its own thread; public calls are thread-safe.
#pragma once

#include <vdmabuf/shared/unique_fd.hpp>

#include "vdmabuf_wire.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vdmabuf::frontend::test {

struct FakeBackendOptions {
    bool answer_hello = true;
    bool refuse_mem_table = false; // REPLY_ACK status 1 to SET_MEM_TABLE
};

inline constexpr uint32_t kFakeGuest = 5;
inline constexpr uint64_t kFakeKey = 0x0123456789abcdefull;

class FakeBackend {
public:
    explicit FakeBackend(FakeBackendOptions options = {});
    ~FakeBackend();
    FakeBackend(const FakeBackend&) = delete;
    FakeBackend& operator=(const FakeBackend&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    // Writes `bytes` into the next eventq buffer and returns it with used length `len`.
    void inject_event(std::vector<uint8_t> bytes, uint32_t len);
    // Closes the guest connection (the device should see it lost).
    void disconnect();

    struct Export {
        vdmabuf_id id;
        uint32_t n_extents;
        uint64_t size;
        uint64_t checksum; // sum of the buffer's bytes read through the extents
    };
    [[nodiscard]] std::vector<Export> exports();
    std::atomic<uint32_t> presents{0};
    std::atomic<uint32_t> unexports{0};

private:
    struct Impl;
    void run();

    FakeBackendOptions options_;
    std::string dir_;
    std::string path_;
    UniqueFd listen_;
    UniqueFd wake_; // eventfd: injected events or disconnect pending
    std::mutex mutex_;
    std::vector<std::pair<std::vector<uint8_t>, uint32_t>> pending_events_;
    std::vector<Export> exports_;
    bool disconnect_ = false;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

} // namespace vdmabuf::frontend::test
