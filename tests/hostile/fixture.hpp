// The hostile suite's fixture. One vdmabufd per test binary (stderr captured to a
// file), an honest guest (libvdmabuf-guest) presenting frames to a real viewer
// (libvdmabuf-host, auto-releasing) on a thread of its own for the whole binary.
// Each case attacks with RawGuests and declares what it expects in the daemon log
// and which `vdmabufctl stats --json` counters must move; TearDown then checks,
// for every case:
//   - honest frames got through while the attackers were still connected,
//   - after they disconnect: vdmabufd's open fds, memfd mappings and buffer count
//     are back to the baseline, vdmabufd is alive, honest frames keep coming,
//   - the expected log lines appeared and the counters moved,
//   - the honest guest saw no error and no stall.
#pragma once

#include "raw_guest.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actors.hpp"
#include "daemon_process.hpp"

namespace vdmabuf::hostile {

inline constexpr uint32_t kQuota = 8;      // --max-buffers-per-guest
inline constexpr uint32_t kMaxGuests = 40; // --max-guests

// The honest guest and its viewer, driven by their own thread.
class HonestTraffic {
public:
    [[nodiscard]] static std::unique_ptr<HonestTraffic> start(const harness::DaemonProcess& d);
    ~HonestTraffic();
    [[nodiscard]] uint64_t frames() const { return frames_.load(); }
    [[nodiscard]] uint64_t errors() const { return errors_.load(); }
    [[nodiscard]] uint64_t stalls() const { return stalls_.load(); }
    [[nodiscard]] uint32_t guest_id() const { return guest_id_; }
    // Waits until `more` frames beyond now went guest -> viewer -> guest.
    [[nodiscard]] bool wait_frames(uint64_t more, int timeout_ms) const;

private:
    void run();
    std::unique_ptr<harness::GuestActor> guest_;
    std::unique_ptr<harness::ViewerActor> viewer_;
    std::vector<harness::ExportedBuffer> buffers_;
    uint32_t guest_id_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> frames_{0}, errors_{0}, stalls_{0};
    std::thread thread_;
};

class Hostile : public ::testing::Test {
protected:
    static void SetUpTestSuite();
    static void TearDownTestSuite();
    void SetUp() override;
    void TearDown() override;

    [[nodiscard]] static harness::DaemonProcess& daemon() { return *daemon_; }
    [[nodiscard]] static HonestTraffic& honest() { return *honest_; }

    // A raw guest after the vhost-user start and HELLO; nullptr (test failure) if not.
    RawGuest* attacker(RawGuest::Options options = {});
    // A raw guest that only connected (memory made, nothing sent).
    RawGuest* connection(RawGuest::Options options = {});
    // Drops an attacker early (e.g. to check what its disconnect released).
    void disconnect(RawGuest* guest);

    // The daemon log must gain a line containing `text` during this case.
    void expect_log(std::string text) { logs_.push_back(std::move(text)); }
    // The stats JSON number at `path` (e.g. {"daemon", "errors", "OVERLAP"}) must
    // grow by at least min_delta during this case.
    void expect_counter(std::vector<std::string> path, double min_delta = 1);

    // Sends one request and checks the error response: type, request, tag, detail.
    void expect_error(RawGuest& g, const std::vector<uint8_t>& request, uint32_t code,
                      uint32_t detail);
    template <typename T>
    void expect_error(RawGuest& g, const T& req, uint32_t code, uint32_t detail) {
        const auto* p = reinterpret_cast<const uint8_t*>(&req);
        expect_error(g, std::vector<uint8_t>(p, p + sizeof req), code, detail);
    }
    // The chain came back unexecuted: used length 0.
    void expect_unexecuted(std::optional<uint32_t> used_len);

    [[nodiscard]] static std::string stats_json();
    [[nodiscard]] static std::string list_json();
    [[nodiscard]] static std::optional<double> counter(const std::string& json,
                                                       const std::vector<std::string>& path);
    [[nodiscard]] static size_t daemon_fds();
    [[nodiscard]] static size_t daemon_memfd_maps();
    [[nodiscard]] static size_t daemon_buffers();
    [[nodiscard]] static std::string log_since(size_t offset);
    [[nodiscard]] static size_t log_size();

private:
    struct Expected {
        std::vector<std::string> path;
        double min_delta;
        double before;
    };
    static std::unique_ptr<harness::DaemonProcess> daemon_;
    static std::unique_ptr<HonestTraffic> honest_;
    std::vector<std::unique_ptr<RawGuest>> attackers_;
    std::vector<std::string> logs_;
    std::vector<Expected> counters_;
    std::string stats_before_;
    size_t log_offset_ = 0;
    size_t fds_before_ = 0, maps_before_ = 0, buffers_before_ = 0;
    uint64_t honest_errors_before_ = 0, honest_stalls_before_ = 0;
};

} // namespace vdmabuf::hostile
