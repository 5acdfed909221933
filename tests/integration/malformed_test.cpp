// Malformed requests get error replies naming the request, and malformed
// vhost-user traffic costs only its own connection: vdmabufd keeps serving
// the honest guest throughout.
#include <gtest/gtest.h>

#include <cstring>
#include <drm_fourcc.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <vdmabuf/virtio/vhost_user.hpp>

#include "actors.hpp"
#include "daemon_process.hpp"
#include "wire_requests.hpp"

namespace vdmabuf::harness {
namespace {

namespace vu = virtio::vhost_user;

UniqueFd connect_raw(const std::string& path) {
    UniqueFd fd{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (!fd || connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return {};
    return fd;
}

// True if the daemon closed the connection within timeout_ms.
bool closed_by_peer(int fd, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) != 1)
        return false;
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

class Malformed : public ::testing::Test {
protected:
    void SetUp() override {
        daemon_ = DaemonProcess::start();
        ASSERT_TRUE(daemon_);
        frontend::DeviceOptions opts;
        opts.name = "honest";
        honest_ = GuestActor::open(daemon_->guest_socket(), opts);
        opts.name = "mallory";
        bad_ = GuestActor::open(daemon_->guest_socket(), opts);
        viewer_ = ViewerActor::connect(daemon_->consumer_socket(), "honest");
        ASSERT_TRUE(honest_ && bad_ && viewer_);
        viewer_->auto_release = true;
        frame_ = export_pattern(*honest_, 96, 64, 9);
        ASSERT_TRUE(frame_.memory);
    }

    // One honest frame, end to end.
    void honest_frame_gets_through() {
        size_t before = honest_->releases.size();
        ASSERT_TRUE(honest_->device->present(frame_.id, 0, ++sequence_, 0, {}));
        ASSERT_TRUE(pump_until([&] { return honest_->releases.size() > before; }, 5000,
                               {honest_.get(), bad_.get()}, {viewer_.get()}));
        EXPECT_EQ(honest_->releases.back().reason, uint32_t(VDMABUF_RELEASE_DONE));
        EXPECT_TRUE(honest_->errors.empty());
    }

    uint32_t expect_error(std::span<const uint8_t> request) {
        size_t before = bad_->errors.size();
        uint64_t tag = 0;
        EXPECT_TRUE(bad_->device->send_raw(request, &tag));
        EXPECT_TRUE(pump_until([&] { return bad_->errors.size() > before; }, 5000,
                               {honest_.get(), bad_.get()}, {viewer_.get()}));
        if (bad_->errors.size() <= before)
            return 0;
        return bad_->errors.back().code;
    }

    vdmabuf_cmd_export valid_export_header(uint32_t counter) {
        return testwire::xrgb_export_cmd({bad_->device->guest_id(), counter, 0}, 1000 + counter);
    }

    std::unique_ptr<DaemonProcess> daemon_;
    std::unique_ptr<GuestActor> honest_, bad_;
    std::unique_ptr<ViewerActor> viewer_;
    ExportedBuffer frame_;
    uint64_t sequence_ = 0;
};

TEST_F(Malformed, BadRequestsGetErrorRepliesAndOthersKeepWorking) {
    honest_frame_gets_through();

    const uint8_t short_request[8] = {1, 1, 0, 0};
    EXPECT_EQ(expect_error(short_request), uint32_t(VDMABUF_RESP_ERR_MALFORMED));

    vdmabuf_cmd_unexport unknown{};
    unknown.hdr.type = 0x01ee; // no such request
    EXPECT_EQ(expect_error({reinterpret_cast<const uint8_t*>(&unknown), sizeof unknown}),
              uint32_t(VDMABUF_RESP_ERR_MALFORMED));
    honest_frame_gets_through();

    // An EXPORT whose extent lies outside guest memory: the key is wrong too,
    // so first fix the key by exporting a real buffer and copying its ID's key.
    ExportedBuffer real = export_pattern(*bad_, 64, 64, 1);
    ASSERT_TRUE(real.memory);
    struct {
        vdmabuf_cmd_export cmd;
        vdmabuf_extent extent;
    } outside{valid_export_header(999), {0x10000, 16384}};
    outside.cmd.id.key = real.id.key;
    EXPECT_EQ(expect_error({reinterpret_cast<const uint8_t*>(&outside), sizeof outside}),
              uint32_t(VDMABUF_RESP_ERR_INVALID_ADDRESS));

    // Address + length that wraps around 2^64.
    outside.extent = {0xfffffffffffff000ull, 0x2000};
    EXPECT_EQ(expect_error({reinterpret_cast<const uint8_t*>(&outside), sizeof outside}),
              uint32_t(VDMABUF_RESP_ERR_INVALID_ADDRESS));

    // Overlapping the buffer Mallory already exported.
    outside.extent = real.memory->extents()[0];
    outside.extent.len = 16384;
    EXPECT_EQ(expect_error({reinterpret_cast<const uint8_t*>(&outside), sizeof outside}),
              uint32_t(VDMABUF_RESP_ERR_OVERLAP));

    // A stale sequence and a damage rectangle outside the buffer.
    ASSERT_TRUE(bad_->device->present(real.id, 0, 5, 0, {}));
    ASSERT_TRUE(pump_until([&] { return bad_->releases.size() == 1; }, 5000,
                           {honest_.get(), bad_.get()}, {viewer_.get()}));
    vdmabuf_cmd_present stale{};
    stale.hdr.type = VDMABUF_CMD_PRESENT;
    stale.id = real.id;
    stale.sequence = 5;
    EXPECT_EQ(expect_error({reinterpret_cast<const uint8_t*>(&stale), sizeof stale}),
              uint32_t(VDMABUF_RESP_ERR_STALE_SEQUENCE));
    stale.sequence = 6;
    stale.n_damage = 1;
    stale.damage[0] = {60, 60, 10, 10};
    EXPECT_EQ(expect_error({reinterpret_cast<const uint8_t*>(&stale), sizeof stale}),
              uint32_t(VDMABUF_RESP_ERR_INVALID_DAMAGE));

    // Each error named its request (the first was too short to have a header).
    EXPECT_EQ(bad_->errors[0].request, 0u);
    EXPECT_EQ(bad_->errors[1].request, 0x01eeu);
    EXPECT_EQ(bad_->errors[2].request, uint32_t(VDMABUF_CMD_EXPORT));
    EXPECT_EQ(bad_->errors.back().request, uint32_t(VDMABUF_CMD_PRESENT));
    honest_frame_gets_through();
    EXPECT_TRUE(daemon_->alive());
}

TEST_F(Malformed, GarbageVhostUserCostsOnlyItsConnection) {
    // An oversized payload length.
    UniqueFd raw = connect_raw(daemon_->guest_socket());
    ASSERT_TRUE(raw);
    vu::Header huge{uint32_t(vu::Request::get_features), vu::kVersion, 1u << 30};
    ASSERT_EQ(send(raw.get(), &huge, sizeof huge, MSG_NOSIGNAL), ssize_t(sizeof huge));
    EXPECT_TRUE(closed_by_peer(raw.get(), 3000));
    honest_frame_gets_through();

    // A truncated message: header promises 40 bytes, 4 arrive, then hang up.
    raw = connect_raw(daemon_->guest_socket());
    ASSERT_TRUE(raw);
    vu::Header partial{uint32_t(vu::Request::set_vring_addr), vu::kVersion, 40};
    ASSERT_EQ(send(raw.get(), &partial, sizeof partial, MSG_NOSIGNAL), ssize_t(sizeof partial));
    uint32_t some = 0;
    ASSERT_EQ(send(raw.get(), &some, sizeof some, MSG_NOSIGNAL), ssize_t(sizeof some));
    raw.reset();
    honest_frame_gets_through();

    // SET_MEM_TABLE claiming two regions with no fds at all.
    raw = connect_raw(daemon_->guest_socket());
    ASSERT_TRUE(raw);
    vu::MemoryTable table{};
    table.nregions = 2;
    vu::Header mem{uint32_t(vu::Request::set_mem_table), vu::kVersion | vu::kFlagNeedReply,
                   uint32_t(vu::kMemoryTableHeaderSize + 2 * sizeof(vu::MemoryRegion))};
    ASSERT_TRUE(vu::send_message(raw.get(), mem, &table));
    honest_frame_gets_through();
    EXPECT_TRUE(daemon_->alive());
}

} // namespace
} // namespace vdmabuf::harness
