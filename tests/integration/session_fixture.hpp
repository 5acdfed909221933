// The interactive session's fixture: a vdmabufd per test, guests with chosen
// features. Used by session_test.cpp and session_validation_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "actors.hpp"
#include "daemon_process.hpp"

namespace vdmabuf::harness {

constexpr uint64_t kAll = frontend::kAllFeatures;

class Session : public ::testing::Test {
protected:
    void SetUp() override {
        daemon_ = DaemonProcess::start();
        ASSERT_TRUE(daemon_);
    }

    std::unique_ptr<GuestActor> open_guest(const char* name, uint64_t features = kAll,
                                           uint32_t queue_size = 256) {
        frontend::DeviceOptions opts;
        opts.name = name;
        opts.memory_size = 16 << 20;
        opts.features = features;
        opts.queue_size = queue_size;
        return GuestActor::open(daemon_->guest_socket(), opts);
    }

    // A STATS round trip: the daemon handles a consumer's packets in order, so
    // every GUEST_EVENT sent before it has been queued for the guest.
    static void sync(ViewerActor& v) {
        ASSERT_TRUE(v.client->stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_STATS));
    }

    std::unique_ptr<DaemonProcess> daemon_;
};

} // namespace vdmabuf::harness
