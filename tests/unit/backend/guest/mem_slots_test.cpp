// CONFIGURE_MEM_SLOTS in GuestSession: ADD_MEM_REG / REM_MEM_REG / GET_MAX_MEM_SLOTS
// from a raw front-end (VhostFrontend), bad payloads answered with failure while the
// session keeps serving, and REM_MEM_REG of a region in use (buffers retired, rings
// stopped until their memory returns). A front-end that resumes without the init
// handshake (QEMU after a vdmabufd restart) gets the protocol features offered;
// --mem-slots off offers no CONFIGURE_MEM_SLOTS.
#include "guest/guest_session.hpp"

#include "vhost_frontend.hpp"
#include "wire_requests.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace vdmabuf::backend {
namespace {

using test::VhostFrontend;
namespace vu = virtio::vhost_user;

class LogHub : public Hub {
public:
    void guest_added(GuestSession&) override {}
    void guest_removed(GuestSession&) override {}
    void buffer_added(GuestSession&, const Buffer& b) override {
        log.push_back("buffer_added " + std::to_string(b.id.counter));
    }
    void buffer_removed(GuestSession& g, const Buffer& b) override {
        log.push_back("buffer_removed " + std::to_string(b.id.counter));
        // What a consumer may do from inside: must not send a RELEASE.
        g.release(b.id, 1, 0, VDMABUF_RELEASE_DONE);
    }
    void presented(GuestSession&, const Presentation& p) override {
        log.push_back("presented " + std::to_string(p.id.counter));
    }
    void output_changed(GuestSession&, const GuestOutput&) override {}
    void cursor_image(GuestSession&, const CursorImageRef&) override {}
    void cursor_moved(GuestSession&, const CursorPosition&) override {}
    std::vector<std::string> log;
};

// A sealed memfd of `size` bytes and the front-end's mapping of it.
struct ExtraMemory {
    explicit ExtraMemory(size_t size) : size(size) {
        fd.reset(::memfd_create("memslot-test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
        if (fd && ::ftruncate(fd.get(), static_cast<off_t>(size)) == 0 &&
            ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK) == 0)
            map = virtio::MemoryMapping::map_shared(fd.get(), size);
    }
    [[nodiscard]] uint64_t uva() const { return reinterpret_cast<uint64_t>(map.data()); }
    size_t size;
    UniqueFd fd;
    virtio::MemoryMapping map;
};

constexpr uint64_t kDimmGpa = 0x2'0000'0000;
constexpr size_t kDimmSize = 1 << 20;

class MemSlotsTest : public ::testing::Test {
protected:
    void SetUp() override {
        loop_ = EventLoop::create();
        ASSERT_TRUE(loop_);
        fe_ = std::make_unique<VhostFrontend>(*loop_);
        session_ = GuestSession::create(std::move(fe_->device_end), *loop_, hub_, GuestOptions{4},
                                        [this](GuestSession&) { ++closed_; });
        ASSERT_TRUE(session_);
        ASSERT_TRUE(dimm_.map);
    }

    std::optional<uint64_t> mem_reg(vu::Request req, const vu::MemoryRegion& r,
                                    std::span<const int> fds, uint32_t size = 40) {
        vu::SingleMemoryRegion m{0, r};
        uint8_t raw[64] = {};
        std::memcpy(raw, &m, sizeof m);
        return fe_->send_acked(req, raw, size, fds);
    }
    std::optional<uint64_t> add(const vu::MemoryRegion& r, int fd) {
        return mem_reg(vu::Request::add_mem_reg, r, {&fd, 1});
    }
    std::optional<uint64_t> rem(const vu::MemoryRegion& r) {
        return mem_reg(vu::Request::rem_mem_reg, r, {});
    }
    [[nodiscard]] vu::MemoryRegion dimm_desc() const {
        return {kDimmGpa, kDimmSize, dimm_.uva(), 0};
    }

    void ready() {
        ASSERT_NO_FATAL_FAILURE(fe_->handshake());
        const vdmabuf_cmd_hello h = testwire::hello_cmd("memslots", 1);
        vdmabuf_resp_hello r{};
        ASSERT_TRUE(fe_->ctrl(&h, sizeof h, &r, sizeof r));
        ASSERT_EQ(r.hdr.type, VDMABUF_RESP_OK_HELLO);
        ids_ = {r.guest, r.key};
    }

    // EXPORT of a 64x64 XRGB buffer in one extent at `gpa`.
    std::optional<vdmabuf_resp> export_at(uint32_t counter, uint64_t gpa) {
        const vdmabuf_cmd_export c =
            testwire::xrgb_export_cmd({ids_.guest, counter, ids_.key}, counter, 64, 64, 1);
        const vdmabuf_extent ext{gpa, 16384};
        const std::vector<uint8_t> bytes = testwire::export_bytes(c, {&ext, 1});
        vdmabuf_resp r{};
        auto used = fe_->ctrl(bytes.data(), bytes.size(), &r, sizeof r);
        if (!used || *used != sizeof r)
            return std::nullopt;
        return r;
    }

    std::unique_ptr<EventLoop> loop_;
    LogHub hub_;
    std::unique_ptr<VhostFrontend> fe_;
    std::unique_ptr<GuestSession> session_;
    ExtraMemory dimm_{kDimmSize};
    int closed_ = 0;
    SessionIds ids_;
};

TEST_F(MemSlotsTest, FeatureOfferedAndSlotCount) {
    auto proto = fe_->get_u64(vu::Request::get_protocol_features);
    ASSERT_TRUE(proto);
    EXPECT_TRUE(*proto & vu::bit(vu::protocol_feature::kConfigureMemSlots));
    EXPECT_EQ(fe_->get_u64(vu::Request::get_max_mem_slots), 32u);
}

TEST_F(MemSlotsTest, BufferInAnAddedRegionThenRemoved) {
    ASSERT_NO_FATAL_FAILURE(ready());
    EXPECT_EQ(add(dimm_desc(), dimm_.fd.get()), 0u);
    auto r = export_at(1, kDimmGpa + 0x4000);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(export_at(2, fe_->alloc(16384))->hdr.type, VDMABUF_RESP_OK); // main memory
    ASSERT_EQ(fe_->ctrl_resp(testwire::present_cmd({ids_.guest, 1, ids_.key}, 7, 0, 1))->hdr.type,
              VDMABUF_RESP_OK);
    EXPECT_EQ(session_->presentations_in_flight(), 1u);
    fe_->post_event_buffers(2);
    hub_.log.clear();

    // Removing the region retires the buffer in it (and only that one) before unmapping.
    EXPECT_EQ(rem(dimm_desc()), 0u);
    ASSERT_EQ(hub_.log.size(), 1u);
    EXPECT_EQ(hub_.log[0], "buffer_removed 1");
    EXPECT_EQ(session_->presentations_in_flight(), 0u);
    EXPECT_FALSE(fe_->next_event()); // no RELEASE for a retired buffer
    EXPECT_EQ(session_->counters().retired, 1u);
    EXPECT_NE(session_->find_buffer({ids_.guest, 2, ids_.key}), nullptr);
    EXPECT_EQ(session_->find_buffer({ids_.guest, 1, ids_.key}), nullptr);
    // The range is no longer guest memory; the session goes on.
    r = export_at(3, kDimmGpa + 0x4000);
    ASSERT_TRUE(r);
    EXPECT_NE(r->hdr.type, VDMABUF_RESP_OK);
    EXPECT_TRUE(session_->ready());
    // Back again: usable again.
    EXPECT_EQ(add(dimm_desc(), dimm_.fd.get()), 0u);
    EXPECT_EQ(export_at(4, kDimmGpa)->hdr.type, VDMABUF_RESP_OK);
    EXPECT_EQ(closed_, 0);
}

// A RELEASE still waiting for an eventq buffer when its buffer's region goes is
// dropped with the buffer; the other buffers' RELEASEs stay queued.
TEST_F(MemSlotsTest, QueuedReleaseOfARetiredBufferIsDropped) {
    ASSERT_NO_FATAL_FAILURE(ready());
    ASSERT_EQ(add(dimm_desc(), dimm_.fd.get()), 0u);
    ASSERT_EQ(export_at(1, kDimmGpa)->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(export_at(2, fe_->alloc(16384))->hdr.type, VDMABUF_RESP_OK);
    for (uint32_t c : {1u, 2u})
        ASSERT_EQ(
            fe_->ctrl_resp(testwire::present_cmd({ids_.guest, c, ids_.key}, c, 0, c))->hdr.type,
            VDMABUF_RESP_OK);
    // No eventq buffers yet: both RELEASEs wait.
    session_->release({ids_.guest, 1, ids_.key}, 1, 0, VDMABUF_RELEASE_DONE);
    session_->release({ids_.guest, 2, ids_.key}, 2, 0, VDMABUF_RELEASE_DONE);
    EXPECT_EQ(rem(dimm_desc()), 0u);
    fe_->post_event_buffers(4);
    auto ev = fe_->next_event();
    ASSERT_TRUE(ev);
    vdmabuf_evt_release rel{};
    ASSERT_EQ(ev->size(), sizeof rel);
    std::memcpy(&rel, ev->data(), sizeof rel);
    EXPECT_EQ(rel.hdr.type, uint32_t{VDMABUF_EVT_RELEASE});
    EXPECT_EQ(rel.id.counter, 2u);
    EXPECT_FALSE(fe_->next_event());
}

TEST_F(MemSlotsTest, BadAddMessagesFailAndChangeNothing) {
    ASSERT_NO_FATAL_FAILURE(ready());
    const int fd = dimm_.fd.get();
    const vu::MemoryRegion good = dimm_desc();
    // Wrong payload sizes.
    EXPECT_EQ(mem_reg(vu::Request::add_mem_reg, good, {&fd, 1}, 32), 1u);
    EXPECT_EQ(mem_reg(vu::Request::add_mem_reg, good, {&fd, 1}, 48), 1u);
    EXPECT_EQ(mem_reg(vu::Request::add_mem_reg, good, {&fd, 1}, 0), 1u);
    // No fd, two fds.
    EXPECT_EQ(mem_reg(vu::Request::add_mem_reg, good, {}), 1u);
    const int two[2] = {fd, fd};
    EXPECT_EQ(mem_reg(vu::Request::add_mem_reg, good, two), 1u);
    // Bad ranges: empty, wrapping, past the file, overlapping the main memory.
    EXPECT_EQ(add({kDimmGpa, 0, dimm_.uva(), 0}, fd), 1u);
    EXPECT_EQ(add({~0ull - 0xfff, kDimmSize, dimm_.uva(), 0}, fd), 1u);
    EXPECT_EQ(add({kDimmGpa, kDimmSize, ~0ull - 0xfff, 0}, fd), 1u);
    EXPECT_EQ(add({kDimmGpa, kDimmSize, dimm_.uva(), ~0ull - 0xfff}, fd), 1u);
    EXPECT_EQ(add({kDimmGpa, kDimmSize, dimm_.uva(), 4096}, fd), 1u);
    EXPECT_EQ(add({kDimmGpa, 2 * kDimmSize, dimm_.uva(), 0}, fd), 1u);
    EXPECT_EQ(add({VhostFrontend::kGpa + 4096, 4096, dimm_.uva(), 0}, fd), 1u);
    // An fd that is not a sealed memfd.
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    EXPECT_EQ(add(good, p[0]), 1u);
    ::close(p[0]);
    ::close(p[1]);
    // Twice the same region.
    EXPECT_EQ(add(good, fd), 0u);
    EXPECT_EQ(add(good, fd), 1u);
    EXPECT_GE(session_->counters().bad_vhost_messages, 13u);
    EXPECT_TRUE(session_->ready());
    EXPECT_EQ(export_at(1, kDimmGpa)->hdr.type, VDMABUF_RESP_OK);
    EXPECT_EQ(closed_, 0);
}

TEST_F(MemSlotsTest, AtMostMaxSlotsRegions) {
    ASSERT_NO_FATAL_FAILURE(ready()); // one region from SET_MEM_TABLE
    for (uint64_t i = 0; i + 1 < vu::kMaxMemSlots; ++i)
        ASSERT_EQ(add({kDimmGpa + i * 0x8000, 0x8000, dimm_.uva() + i * 0x8000, i * 0x8000},
                      dimm_.fd.get()),
                  0u)
            << i;
    EXPECT_EQ(add({kDimmGpa + 0x1000000, 0x1000, dimm_.uva(), 0}, dimm_.fd.get()), 1u);
    EXPECT_EQ(rem({kDimmGpa, 0x8000, dimm_.uva(), 0}), 0u);
    EXPECT_EQ(add({kDimmGpa + 0x1000000, 0x1000, dimm_.uva(), 0}, dimm_.fd.get()), 0u);
    EXPECT_TRUE(session_->ready());
}

TEST_F(MemSlotsTest, BadRemoveMessages) {
    ASSERT_NO_FATAL_FAILURE(ready());
    ASSERT_EQ(add(dimm_desc(), dimm_.fd.get()), 0u);
    // Not a held region: other size, other uva, inside, unknown.
    EXPECT_EQ(rem({kDimmGpa, kDimmSize / 2, dimm_.uva(), 0}), 1u);
    EXPECT_EQ(rem({kDimmGpa, kDimmSize, dimm_.uva() + 4096, 0}), 1u);
    EXPECT_EQ(rem({kDimmGpa + 4096, kDimmSize - 4096, dimm_.uva() + 4096, 0}), 1u);
    EXPECT_EQ(rem({0x5000'0000'0000, 4096, 0, 0}), 1u);
    EXPECT_EQ(mem_reg(vu::Request::rem_mem_reg, dimm_desc(), {}, 32), 1u);
    const int two[2] = {dimm_.fd.get(), dimm_.fd.get()};
    EXPECT_EQ(mem_reg(vu::Request::rem_mem_reg, dimm_desc(), two), 1u);
    EXPECT_EQ(export_at(1, kDimmGpa)->hdr.type, VDMABUF_RESP_OK); // still there

    // One fd is tolerated (QEMU < 7.1 sent it) and closed unused: the write end of a
    // pipe reads EOF once the daemon's copy is gone.
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    EXPECT_EQ(mem_reg(vu::Request::rem_mem_reg, dimm_desc(), {&p[1], 1}), 0u);
    ::close(p[1]);
    char c;
    EXPECT_EQ(::read(p[0], &c, 1), 0);
    ::close(p[0]);
    EXPECT_EQ(rem(dimm_desc()), 1u); // gone already
    EXPECT_TRUE(session_->ready());
    EXPECT_EQ(closed_, 0);
}

TEST_F(MemSlotsTest, WithoutTheFeatureAddAndRemoveFail) {
    auto features = fe_->get_u64(vu::Request::get_features);
    ASSERT_TRUE(features);
    fe_->set_u64(vu::Request::set_features, vu::bit(vu::feature::kProtocolFeatures));
    fe_->set_u64(vu::Request::set_protocol_features, vu::bit(vu::protocol_feature::kReplyAck));
    EXPECT_EQ(add(dimm_desc(), dimm_.fd.get()), 1u);
    EXPECT_EQ(rem(dimm_desc()), 1u);
    EXPECT_EQ(closed_, 0);
}

TEST_F(MemSlotsTest, ResumedFrontEndIsServedWithTheOfferedFeatures) {
    ASSERT_NO_FATAL_FAILURE(fe_->handshake(true, 0, false));
    const vdmabuf_cmd_hello h = testwire::hello_cmd("resumed", 1);
    vdmabuf_resp_hello r{};
    ASSERT_TRUE(fe_->ctrl(&h, sizeof h, &r, sizeof r));
    ASSERT_EQ(r.hdr.type, VDMABUF_RESP_OK_HELLO);
    EXPECT_TRUE(session_->ready());
    EXPECT_EQ(add(dimm_desc(), dimm_.fd.get()), 0u); // CONFIGURE_MEM_SLOTS assumed
    EXPECT_EQ(closed_, 0);
}

TEST_F(MemSlotsTest, MemSlotsOffIsNeitherOfferedNorAssumed) {
    session_.reset();
    fe_ = std::make_unique<VhostFrontend>(*loop_);
    GuestOptions opts{4};
    opts.mem_slots = false;
    session_ = GuestSession::create(std::move(fe_->device_end), *loop_, hub_, opts,
                                    [this](GuestSession&) { ++closed_; });
    ASSERT_TRUE(session_);
    ASSERT_NO_FATAL_FAILURE(fe_->handshake(true, 0, false)); // resumed: SET_MEM_TABLE
    EXPECT_EQ(add(dimm_desc(), dimm_.fd.get()), 1u);
    auto proto = fe_->get_u64(vu::Request::get_protocol_features);
    ASSERT_TRUE(proto);
    EXPECT_FALSE(*proto & vu::bit(vu::protocol_feature::kConfigureMemSlots));
    EXPECT_TRUE(*proto & vu::bit(vu::protocol_feature::kReplyAck));
    EXPECT_EQ(closed_, 0);
}

// The rings live in the SET_MEM_TABLE region: removing it stops them (no dangling
// pointers); adding it back with ADD_MEM_REG re-translates them and requests flow.
TEST_F(MemSlotsTest, RingsFollowTheirRegion) {
    ASSERT_NO_FATAL_FAILURE(ready());
    const vu::MemoryRegion main{VhostFrontend::kGpa, VhostFrontend::kMemSize,
                                fe_->uva(VhostFrontend::kGpa), 0};
    EXPECT_EQ(rem(main), 0u);
    EXPECT_EQ(add(main, fe_->mem_fd()), 0u);
    auto r = export_at(1, fe_->alloc(16384));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_OK);
    EXPECT_TRUE(session_->ready());
}

} // namespace
} // namespace vdmabuf::backend
