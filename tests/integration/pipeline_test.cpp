// Export -> present -> import -> the consumer reads exactly the guest's pixels
// -> release -> the guest's release event, through a real vdmabufd.
#include <gtest/gtest.h>

#include <cstring>
#include <drm_fourcc.h>
#include <fstream>
#include <regex>
#include <sstream>

#include "actors.hpp"
#include "daemon_process.hpp"

namespace vdmabuf::harness {
namespace {

class Pipeline : public ::testing::Test {
protected:
    void SetUp() override {
        daemon_ = DaemonProcess::start();
        ASSERT_TRUE(daemon_);
    }
    std::unique_ptr<DaemonProcess> daemon_;
};

// Sends one frame and checks every byte the viewer maps against the guest's.
void round_trip(DaemonProcess& daemon, bool scattered, bool add_mem_reg = false) {
    auto viewer = ViewerActor::connect(daemon.consumer_socket());
    ASSERT_TRUE(viewer);
    frontend::DeviceOptions opts;
    opts.name = "pipeline";
    opts.scattered = scattered;
    opts.memory_size = 64 << 20;
    opts.add_mem_reg = add_mem_reg;
    auto guest = GuestActor::open(daemon.guest_socket(), opts);
    ASSERT_TRUE(guest);

    ExportedBuffer buf = export_pattern(*guest, 333, 211, 42);
    ASSERT_TRUE(buf.memory);
    if (scattered) {
        EXPECT_GT(buf.memory->extents().size(), 1u);
    }
    const vdmabuf_rect damage{10, 20, 30, 40};
    ASSERT_TRUE(guest->device->present(buf.id, 0, 1, 777, std::span(&damage, 1)));

    ASSERT_TRUE(pump_until([&] { return !viewer->presents.empty(); }, 5000, {guest.get()},
                           {viewer.get()}));
    const consumer::BufferInfo* info = viewer->buffer(buf.id);
    ASSERT_NE(info, nullptr) << "BUFFER_NEW precedes PRESENT";
    EXPECT_EQ(info->fourcc, uint32_t(DRM_FORMAT_XRGB8888));
    EXPECT_EQ(info->width, 333u);
    EXPECT_EQ(info->height, 211u);
    EXPECT_EQ(info->planes[0].stride, buf.stride);
    EXPECT_EQ(info->size, buf.memory->size());

    const consumer::PresentEvent& p = viewer->presents[0];
    EXPECT_TRUE(consumer::same_id(p.id, buf.id));
    EXPECT_EQ(p.sequence, 1u);
    EXPECT_EQ(p.guest_time_ns, 777u);
    ASSERT_EQ(p.n_damage, 1u);
    EXPECT_EQ(p.damage[0].x, 10u);
    EXPECT_EQ(p.damage[0].height, 40u);

    auto import = viewer->client->import(buf.id);
    ASSERT_TRUE(import);
    EXPECT_EQ(import->size(), buf.memory->size());
    if (scattered) {
        EXPECT_GT(import->extents().size(), 1u);
    }
    const uint8_t* host_view = import->map();
    ASSERT_NE(host_view, nullptr);
    EXPECT_EQ(std::memcmp(host_view, buf.memory->data(), size_t(buf.stride) * buf.height), 0);

    // The same memory, not a copy: a later guest write shows through.
    buf.memory->data()[5] ^= 0xff;
    EXPECT_EQ(host_view[5], buf.memory->data()[5]);

    EXPECT_TRUE(guest->releases.empty()) << "held by the viewer until it releases";
    ASSERT_TRUE(viewer->client->release(p.id, p.sequence));
    ASSERT_TRUE(pump_until([&] { return !guest->releases.empty(); }, 5000, {guest.get()},
                           {viewer.get()}));
    EXPECT_TRUE(consumer::same_id(guest->releases[0].id, buf.id));
    EXPECT_EQ(guest->releases[0].sequence, 1u);
    EXPECT_EQ(guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_DONE));
    EXPECT_TRUE(guest->errors.empty());
    EXPECT_TRUE(viewer->errors.empty());
}

TEST_F(Pipeline, ContiguousBufferPixelsArriveExactly) { round_trip(*daemon_, false); }

TEST_F(Pipeline, ScatteredBufferPixelsArriveExactly) { round_trip(*daemon_, true); }

// CONFIGURE_MEM_SLOTS end to end: the guest registers its memory with two ADD_MEM_REGs
// (rings and slots; buffer pages) instead of SET_MEM_TABLE, so the buffer lies in a
// region of its own; its pixels still arrive exactly.
TEST(PipelineMemSlots, BufferInARegionAddedByAddMemRegArrivesExactly) {
    auto daemon = DaemonProcess::start({}, true);
    ASSERT_TRUE(daemon);
    round_trip(*daemon, true, true);
    std::ifstream f(daemon->log_path());
    std::stringstream log;
    log << f.rdbuf();
    // Two regions, the second at the buffer pages' file offset.
    const std::regex added("ADD_MEM_REG gpa 0x([0-9a-f]+) size 0x[0-9a-f]+ uva 0x[0-9a-f]+ "
                           "offset 0x([0-9a-f]+) \\((\\d) regions\\)");
    std::vector<std::smatch> found;
    const std::string text = log.str();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), added);
         it != std::sregex_iterator(); ++it)
        found.push_back(*it);
    ASSERT_EQ(found.size(), 2u) << text;
    EXPECT_EQ(found[0][2].str(), "0");
    EXPECT_NE(found[1][2].str(), "0");
    EXPECT_EQ(std::stoull(found[1][1].str(), nullptr, 16),
              0x1'0000'0000ull + std::stoull(found[1][2].str(), nullptr, 16));
    EXPECT_EQ(found[1][3].str(), "2");
}

TEST_F(Pipeline, NoConsumerReleasesAtOnce) {
    auto guest = GuestActor::open(daemon_->guest_socket());
    ASSERT_TRUE(guest);
    ExportedBuffer buf = export_pattern(*guest, 64, 64, 1);
    ASSERT_TRUE(buf.memory);
    ASSERT_TRUE(guest->device->present(buf.id, 0, 1, 0, {}));
    ASSERT_TRUE(pump_until([&] { return !guest->releases.empty(); }, 5000, {guest.get()}, {}));
    EXPECT_EQ(guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_NO_CONSUMER));
}

TEST_F(Pipeline, TwoConsumersBothMustRelease) {
    auto a = ViewerActor::connect(daemon_->consumer_socket());
    auto b = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(a && b);
    auto guest = GuestActor::open(daemon_->guest_socket());
    ASSERT_TRUE(guest);
    ExportedBuffer buf = export_pattern(*guest, 64, 64, 2);
    ASSERT_TRUE(guest->device->present(buf.id, 0, 1, 0, {}));
    ASSERT_TRUE(pump_until([&] { return a->presents.size() == 1 && b->presents.size() == 1; },
                           5000, {guest.get()}, {a.get(), b.get()}));
    a->client->release(buf.id, 1);
    pump_until([] { return false; }, 200, {guest.get()}, {a.get(), b.get()});
    EXPECT_TRUE(guest->releases.empty()) << "b still holds it";
    b->client->release(buf.id, 1);
    ASSERT_TRUE(pump_until([&] { return guest->releases.size() == 1; }, 5000, {guest.get()},
                           {a.get(), b.get()}));
    EXPECT_EQ(guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_DONE));
}

TEST_F(Pipeline, ManyFramesEachReleasedOnce) {
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    viewer->auto_release = true;
    auto guest = GuestActor::open(daemon_->guest_socket());
    ASSERT_TRUE(guest);
    ExportedBuffer bufs[3] = {export_pattern(*guest, 128, 64, 1), export_pattern(*guest, 128, 64, 2),
                              export_pattern(*guest, 128, 64, 3)};
    constexpr uint64_t kFrames = 600;
    uint64_t sent = 0;
    std::vector<bool> busy(3, false);
    while (sent < kFrames) {
        for (int i = 0; i < 3 && sent < kFrames; ++i) {
            if (busy[i])
                continue;
            ASSERT_TRUE(guest->device->present(bufs[i].id, 0, sent + 1, 0, {}));
            busy[i] = true;
            ++sent;
        }
        size_t before = guest->releases.size();
        ASSERT_TRUE(pump_until([&] { return guest->releases.size() > before; }, 5000,
                               {guest.get()}, {viewer.get()}));
        for (size_t r = before; r < guest->releases.size(); ++r)
            for (int i = 0; i < 3; ++i)
                if (consumer::same_id(guest->releases[r].id, bufs[i].id))
                    busy[i] = false;
    }
    ASSERT_TRUE(pump_until([&] { return guest->releases.size() == kFrames; }, 5000,
                           {guest.get()}, {viewer.get()}));
    std::vector<int> seen(kFrames + 1, 0);
    for (const auto& r : guest->releases) {
        ASSERT_LE(r.sequence, kFrames);
        ++seen[r.sequence];
    }
    for (uint64_t s = 1; s <= kFrames; ++s)
        EXPECT_EQ(seen[s], 1) << "sequence " << s;
    EXPECT_TRUE(guest->errors.empty());
}

TEST_F(Pipeline, LateViewerAsksGuestToRefresh) {
    auto guest = GuestActor::open(daemon_->guest_socket());
    ASSERT_TRUE(guest);
    ExportedBuffer buf = export_pattern(*guest, 64, 64, 4);
    ASSERT_TRUE(guest->device->present(buf.id, 0, 1, 0, {}));
    ASSERT_TRUE(pump_until([&] { return guest->releases.size() == 1; }, 5000, {guest.get()}, {}));
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    ASSERT_TRUE(viewer);
    ASSERT_TRUE(pump_until([&] { return !guest->refreshes.empty() && viewer->buffer(buf.id); },
                           5000, {guest.get()}, {viewer.get()}));
    EXPECT_EQ(viewer->guests.size(), 1u);
}

TEST_F(Pipeline, ReleaseTimeoutBoundsAStuckConsumer) {
    daemon_ = DaemonProcess::start({"--release-timeout", "150"});
    ASSERT_TRUE(daemon_);
    auto viewer = ViewerActor::connect(daemon_->consumer_socket());
    auto guest = GuestActor::open(daemon_->guest_socket());
    ASSERT_TRUE(viewer && guest);
    ExportedBuffer buf = export_pattern(*guest, 64, 64, 5);
    ASSERT_TRUE(guest->device->present(buf.id, 0, 1, 0, {}));
    ASSERT_TRUE(pump_until([&] { return guest->releases.size() == 1; }, 3000, {guest.get()},
                           {viewer.get()}));
    EXPECT_EQ(guest->releases[0].reason, uint32_t(VDMABUF_RELEASE_TIMEOUT));
    ASSERT_EQ(viewer->presents.size(), 1u);
    // Its late release is refused, and the guest hears nothing more.
    viewer->client->release(buf.id, 1);
    ASSERT_TRUE(pump_until([&] { return !viewer->errors.empty(); }, 3000, {guest.get()},
                           {viewer.get()}));
    EXPECT_EQ(viewer->errors[0].code, uint32_t(VDMABUF_C_ERR_NOT_HELD));
    EXPECT_EQ(guest->releases.size(), 1u);
}

} // namespace
} // namespace vdmabuf::harness
