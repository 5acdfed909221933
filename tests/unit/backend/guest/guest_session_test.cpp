// GuestSession over a real socketpair, driven by a raw vhost-user front-end written
// for the test (VhostFrontend) with the virtio DriverQueue playing the guest driver.
// The hub is a recorder: the session is what is under test.
#include "guest/guest_session.hpp"

#include "vhost_frontend.hpp"
#include "wire_requests.hpp"

#include <vdmabuf/virtio/split_ring.hpp>

#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace vdmabuf::backend {
namespace {

using test::VhostFrontend;
namespace vu = virtio::vhost_user;

class RecordingHub : public Hub {
public:
    void guest_added(GuestSession& g) override { log.push_back("guest_added " + std::to_string(g.id())); }
    void guest_removed(GuestSession& g) override {
        log.push_back("guest_removed " + std::to_string(g.id()));
    }
    void buffer_added(GuestSession&, const Buffer& b) override {
        log.push_back("buffer_added " + std::to_string(b.id.counter));
        buffers.push_back(b);
    }
    void buffer_removed(GuestSession&, const Buffer& b) override {
        log.push_back("buffer_removed " + std::to_string(b.id.counter));
    }
    void presented(GuestSession& g, const Presentation& p) override {
        log.push_back("presented " + std::to_string(p.id.counter) + " seq " + std::to_string(p.sequence));
        presentations.push_back(p);
        if (on_presented)
            on_presented(g, p);
    }

    void output_changed(GuestSession&, const GuestOutput& o) override { outputs.push_back(o); }
    void cursor_image(GuestSession&, const CursorImageRef& c) override {
        cursor_images.push_back(c);
        cursor_pixels.assign(c.pixels, c.pixels + size_t{c.width} * c.height * 4);
    }
    void cursor_moved(GuestSession& g, const CursorPosition& p) override {
        cursor_moves.push_back(p);
        if (on_cursor_moved)
            on_cursor_moved(g);
    }

    std::vector<std::string> log;
    std::vector<Buffer> buffers;
    std::vector<GuestOutput> outputs;
    std::vector<CursorImageRef> cursor_images;
    std::vector<uint8_t> cursor_pixels;
    std::vector<CursorPosition> cursor_moves;
    std::vector<Presentation> presentations;
    std::function<void(GuestSession&, const Presentation&)> on_presented;
    std::function<void(GuestSession&)> on_cursor_moved;
};

class GuestSessionTest : public ::testing::Test {
protected:
    void SetUp() override {
        loop_ = EventLoop::create();
        ASSERT_TRUE(loop_);
        fe_ = std::make_unique<VhostFrontend>(*loop_);
        session_ = GuestSession::create(std::move(fe_->device_end), *loop_, hub_, GuestOptions{4},
                                        [this](GuestSession&) { ++closed_; });
        ASSERT_TRUE(session_);
    }
    void TearDown() override {
        session_.reset();
        fe_.reset();
    }

    void start() {
        ASSERT_NO_FATAL_FAILURE(fe_->handshake());
    }

    vdmabuf_resp_hello hello(const char* name = "testguest") {
        const vdmabuf_cmd_hello h = testwire::hello_cmd(name, 77);
        vdmabuf_resp_hello r{};
        auto used = fe_->ctrl(&h, sizeof h, &r, sizeof r);
        EXPECT_TRUE(used);
        // Used length = the response's size: 64 for OK_HELLO, 24 for an error.
        if (used) {
            EXPECT_EQ(*used, r.hdr.type == VDMABUF_RESP_OK_HELLO ? sizeof r : sizeof(vdmabuf_resp));
        }
        return r;
    }

    // A 64x64 XRGB8888 buffer in two extents (scattered pages).
    struct Export {
        std::vector<uint8_t> bytes;
        uint64_t gpa[2];
    };
    Export make_export(uint32_t counter) {
        Export e;
        e.gpa[0] = fe_->alloc(8192);
        fe_->alloc(4096); // a hole, so the extents are not contiguous
        e.gpa[1] = fe_->alloc(8192);
        const vdmabuf_cmd_export c =
            testwire::xrgb_export_cmd({ids_.guest, counter, ids_.key}, counter, 64, 64, 2);
        const vdmabuf_extent ext[2] = {{e.gpa[0], 8192}, {e.gpa[1], 8192}};
        e.bytes = testwire::export_bytes(c, ext);
        return e;
    }
    std::optional<vdmabuf_resp> export_buffer(uint32_t counter) {
        Export e = make_export(counter);
        vdmabuf_resp r{};
        auto used = fe_->ctrl(e.bytes.data(), e.bytes.size(), &r, sizeof r);
        if (!used || *used != sizeof r)
            return std::nullopt;
        return r;
    }
    vdmabuf_cmd_present present_cmd(uint32_t counter, uint64_t seq, uint32_t output = 0) {
        vdmabuf_cmd_present p =
            testwire::present_cmd({ids_.guest, counter, ids_.key}, 1000 + seq, output, seq);
        p.guest_time_ns = 123456;
        p.n_damage = 1;
        p.damage[0] = {1, 2, 3, 4};
        return p;
    }

    void ready() {
        ASSERT_NO_FATAL_FAILURE(start());
        auto r = hello();
        ASSERT_EQ(r.hdr.type, VDMABUF_RESP_OK_HELLO);
        ids_ = {r.guest, r.key};
    }

    std::unique_ptr<EventLoop> loop_;
    RecordingHub hub_;
    std::unique_ptr<VhostFrontend> fe_;
    std::unique_ptr<GuestSession> session_;
    int closed_ = 0;
    SessionIds ids_;
};

TEST_F(GuestSessionTest, VhostUserQueries) {
    auto f = fe_->get_u64(vu::Request::get_features);
    ASSERT_TRUE(f);
    // VERSION_1, EVENT_IDX, INDIRECT_DESC, PROTOCOL_FEATURES and device bits 0-3.
    EXPECT_EQ(*f, vu::bit(32) | vu::bit(29) | vu::bit(28) | vu::bit(30) | 0xfu);
    auto p = fe_->get_u64(vu::Request::get_protocol_features);
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, vu::bit(vu::protocol_feature::kReplyAck) | vu::bit(vu::protocol_feature::kConfig) |
                      vu::bit(vu::protocol_feature::kConfigureMemSlots));
    EXPECT_EQ(fe_->get_u64(vu::Request::get_max_mem_slots), vu::kMaxMemSlots);
    EXPECT_EQ(fe_->get_u64(vu::Request::get_queue_num), 2u);

    // GET_CONFIG of 32 bytes: the 16-byte config, then zeros.
    struct {
        vu::ConfigHeader hdr;
        uint8_t data[32];
    } cfg{{0, 32, 0}, {}};
    fe_->send(static_cast<uint32_t>(vu::Request::get_config), &cfg, sizeof cfg);
    auto reply = fe_->reply();
    ASSERT_TRUE(reply);
    ASSERT_EQ((*reply)->hdr.size, sizeof cfg);
    vdmabuf_config c{};
    std::memcpy(&c, (*reply)->payload + sizeof(vu::ConfigHeader), sizeof c);
    EXPECT_EQ(c.magic, VDMABUF_MAGIC);
    EXPECT_EQ(c.version, VDMABUF_VERSION);
    EXPECT_EQ(c.max_buffers, 4u);
    EXPECT_EQ(c.max_outputs, VDMABUF_MAX_OUTPUTS);
    for (size_t i = 16; i < 32; ++i)
        EXPECT_EQ((*reply)->payload[sizeof(vu::ConfigHeader) + i], 0);

    // GET_CONFIG larger than 256: zero-length (failure) reply, connection stays.
    struct {
        vu::ConfigHeader hdr;
    } big{{0, 300, 0}};
    fe_->send(static_cast<uint32_t>(vu::Request::get_config), &big, sizeof big);
    reply = fe_->reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)->hdr.size, 0u);

    // SET_STATUS / GET_STATUS round trip; SET_CONFIG is acked and ignored.
    fe_->set_u64(vu::Request::set_status, 0xf);
    EXPECT_EQ(fe_->get_u64(vu::Request::get_status), 0xfu);
    EXPECT_EQ(fe_->send_acked(vu::Request::set_config, &cfg, sizeof cfg), 0u);

    // Unknown request with NEED_REPLY: failure ack, counted, connection kept.
    const uint64_t before = session_->counters().bad_vhost_messages;
    EXPECT_EQ(fe_->send_acked(static_cast<vu::Request>(6), nullptr, 0), 1u); // SET_LOG_BASE
    EXPECT_EQ(fe_->send_acked(static_cast<vu::Request>(999), nullptr, 0), 1u);
    EXPECT_EQ(session_->counters().bad_vhost_messages, before + 2);
    // A wrong payload size, a bad vring index.
    uint32_t small = 1;
    EXPECT_EQ(fe_->send_acked(vu::Request::set_features, &small, sizeof small), 1u);
    vu::VringState bad_index{2, 64};
    EXPECT_EQ(fe_->send_acked(vu::Request::set_vring_num, &bad_index, sizeof bad_index), 1u);
    uint64_t unoffered = vu::bit(34);
    EXPECT_EQ(fe_->send_acked(vu::Request::set_features, &unoffered, sizeof unoffered), 1u);
    EXPECT_EQ(session_->counters().bad_vhost_messages, before + 5);
    EXPECT_TRUE(fe_->get_u64(vu::Request::get_features));
    EXPECT_EQ(closed_, 0);
}

TEST_F(GuestSessionTest, BadMemoryTable) {
    vu::MemoryTable t{};
    t.nregions = 2; // but one fd
    int fd = fe_->mem_fd();
    auto ack = fe_->send_acked(vu::Request::set_mem_table, &t,
                               static_cast<uint32_t>(vu::kMemoryTableHeaderSize + 2 * sizeof(vu::MemoryRegion)),
                               {&fd, 1});
    EXPECT_EQ(ack, 1u);
    t.nregions = 9;
    ack = fe_->send_acked(vu::Request::set_mem_table, &t, sizeof t, {&fd, 1});
    EXPECT_EQ(ack, 1u);
    EXPECT_EQ(session_->counters().bad_vhost_messages, 2u);
    EXPECT_EQ(fe_->send_mem_table(), 0u); // a good one still works
    EXPECT_EQ(closed_, 0);
}

TEST_F(GuestSessionTest, ExportPresentReleaseUnexport) {
    ASSERT_NO_FATAL_FAILURE(ready());
    EXPECT_TRUE(session_->ready());
    EXPECT_EQ(session_->id(), ids_.guest);
    EXPECT_EQ(session_->name(), "testguest");
    EXPECT_NE(ids_.key, 0u);
    ASSERT_EQ(hub_.log.size(), 1u);
    EXPECT_EQ(hub_.log[0], "guest_added " + std::to_string(ids_.guest));

    auto r = export_buffer(5);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_OK);
    EXPECT_EQ(r->hdr.tag, 5u);
    EXPECT_EQ(r->request, VDMABUF_CMD_EXPORT);
    ASSERT_EQ(hub_.buffers.size(), 1u);
    const Buffer& b = hub_.buffers[0];
    EXPECT_EQ(b.id, (BufferId{ids_.guest, 5, ids_.key}));
    EXPECT_EQ(b.size, 16384u);
    ASSERT_EQ(b.extents.size(), 2u);
    EXPECT_EQ(b.extents[1].len, 8192u);
    EXPECT_EQ(b.extents[0].offset % 4096, 0u);
    EXPECT_EQ(b.extents[1].offset - b.extents[0].offset, 8192u + 4096u); // the hole
    ASSERT_NE(session_->find_buffer(b.id), nullptr);
    EXPECT_EQ(session_->find_buffer({ids_.guest, 5, ids_.key ^ 1}), nullptr);

    fe_->post_event_buffers(8);
    auto pr = fe_->ctrl_resp(present_cmd(5, 1));
    ASSERT_TRUE(pr);
    EXPECT_EQ(pr->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(hub_.presentations.size(), 1u);
    EXPECT_EQ(hub_.presentations[0].sequence, 1u);
    EXPECT_EQ(hub_.presentations[0].guest_time_ns, 123456u);
    EXPECT_GT(hub_.presentations[0].host_time_ns, 0u);
    EXPECT_EQ(hub_.presentations[0].n_damage, 1u);
    EXPECT_EQ(hub_.presentations[0].damage[0].height, 4u);
    EXPECT_EQ(session_->presentations_in_flight(), 1u);

    // In flight: PRESENT again and UNEXPORT are refused.
    pr = fe_->ctrl_resp(present_cmd(5, 2));
    ASSERT_TRUE(pr);
    EXPECT_EQ(pr->hdr.type, VDMABUF_RESP_ERR_IN_USE);
    vdmabuf_cmd_unexport u{{VDMABUF_CMD_UNEXPORT, 0, 9}, {ids_.guest, 5, ids_.key}};
    pr = fe_->ctrl_resp(u);
    ASSERT_TRUE(pr);
    EXPECT_EQ(pr->hdr.type, VDMABUF_RESP_ERR_IN_USE);
    EXPECT_EQ(session_->counters().errors[VDMABUF_RESP_ERR_IN_USE - VDMABUF_RESP_ERR_UNSPEC], 2u);

    // The hub releases it: a RELEASE event arrives on the eventq.
    EXPECT_FALSE(fe_->next_event()); // nothing yet
    session_->release({ids_.guest, 5, ids_.key}, 1, 0, VDMABUF_RELEASE_DONE);
    auto ev = fe_->next_event();
    ASSERT_TRUE(ev);
    ASSERT_EQ(ev->size(), sizeof(vdmabuf_evt_release));
    vdmabuf_evt_release rel{};
    std::memcpy(&rel, ev->data(), sizeof rel);
    EXPECT_EQ(rel.hdr.type, VDMABUF_EVT_RELEASE);
    EXPECT_EQ(rel.hdr.tag, 0u);
    EXPECT_EQ(rel.id.counter, 5u);
    EXPECT_EQ(rel.sequence, 1u);
    EXPECT_EQ(rel.reason, VDMABUF_RELEASE_DONE);
    EXPECT_EQ(session_->presentations_in_flight(), 0u);
    EXPECT_EQ(session_->counters().releases[VDMABUF_RELEASE_DONE], 1u);

    // A second release of the same presentation is ignored.
    session_->release({ids_.guest, 5, ids_.key}, 1, 0, VDMABUF_RELEASE_DONE);
    EXPECT_FALSE(fe_->next_event());

    // Stale sequence on the same output.
    pr = fe_->ctrl_resp(present_cmd(5, 1));
    EXPECT_EQ(pr->hdr.type, VDMABUF_RESP_ERR_STALE_SEQUENCE);
    EXPECT_EQ(pr->detail, offsetof(vdmabuf_cmd_present, sequence));

    // The hub releases synchronously from inside presented() (nobody watching).
    hub_.on_presented = [](GuestSession& g, const Presentation& p) {
        g.release(p.id, p.sequence, p.output, VDMABUF_RELEASE_NO_CONSUMER);
    };
    pr = fe_->ctrl_resp(present_cmd(5, 2));
    EXPECT_EQ(pr->hdr.type, VDMABUF_RESP_OK);
    ev = fe_->next_event();
    ASSERT_TRUE(ev);
    std::memcpy(&rel, ev->data(), sizeof rel);
    EXPECT_EQ(rel.sequence, 2u);
    EXPECT_EQ(rel.reason, VDMABUF_RELEASE_NO_CONSUMER);
    EXPECT_EQ(session_->presentations_in_flight(), 0u);

    // REFRESH.
    session_->refresh(VDMABUF_OUTPUT_ALL);
    ev = fe_->next_event();
    ASSERT_TRUE(ev);
    ASSERT_EQ(ev->size(), sizeof(vdmabuf_evt_refresh));
    vdmabuf_evt_refresh rf{};
    std::memcpy(&rf, ev->data(), sizeof rf);
    EXPECT_EQ(rf.hdr.type, VDMABUF_EVT_REFRESH);
    EXPECT_EQ(rf.output, VDMABUF_OUTPUT_ALL);

    pr = fe_->ctrl_resp(u);
    ASSERT_TRUE(pr);
    EXPECT_EQ(pr->hdr.type, VDMABUF_RESP_OK);
    EXPECT_EQ(hub_.log.back(), "buffer_removed 5");
    EXPECT_EQ(session_->find_buffer({ids_.guest, 5, ids_.key}), nullptr);
    EXPECT_EQ(session_->counters().exports, 1u);
    EXPECT_EQ(session_->counters().presents, 2u);
    EXPECT_EQ(session_->counters().unexports, 1u);
}

TEST_F(GuestSessionTest, EventsWaitForBuffers) {
    ASSERT_NO_FATAL_FAILURE(ready());
    ASSERT_EQ(export_buffer(1)->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(export_buffer(2)->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(fe_->ctrl_resp(present_cmd(1, 1, 0))->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(fe_->ctrl_resp(present_cmd(2, 1, 1))->hdr.type, VDMABUF_RESP_OK);
    session_->release({ids_.guest, 2, ids_.key}, 1, 1, VDMABUF_RELEASE_TIMEOUT);
    session_->release({ids_.guest, 1, ids_.key}, 1, 0, VDMABUF_RELEASE_DROPPED);
    EXPECT_FALSE(fe_->next_event()); // no eventq buffers posted yet
    EXPECT_EQ(session_->counters().events_pending_max, 2u);

    // A too-short buffer is returned unused; then the events arrive in order.
    fe_->post_event_buffers(1, 32);
    auto ev = fe_->next_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->size(), 0u);
    EXPECT_EQ(session_->counters().bad_chains, 1u);
    fe_->post_event_buffers(2);
    vdmabuf_evt_release rel{};
    ev = fe_->next_event();
    ASSERT_TRUE(ev);
    std::memcpy(&rel, ev->data(), sizeof rel);
    EXPECT_EQ(rel.id.counter, 2u);
    EXPECT_EQ(rel.reason, VDMABUF_RELEASE_TIMEOUT);
    ev = fe_->next_event();
    ASSERT_TRUE(ev);
    std::memcpy(&rel, ev->data(), sizeof rel);
    EXPECT_EQ(rel.id.counter, 1u);
    EXPECT_EQ(rel.reason, VDMABUF_RELEASE_DROPPED);
}

TEST_F(GuestSessionTest, RequestErrors) {
    ASSERT_NO_FATAL_FAILURE(start());
    // Before HELLO.
    vdmabuf_cmd_unexport u{{VDMABUF_CMD_UNEXPORT, 0, 3}, {1, 1, 1}};
    auto r = fe_->ctrl_resp(u);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_ERR_NOT_READY);
    EXPECT_EQ(r->hdr.tag, 3u);
    EXPECT_EQ(r->request, VDMABUF_CMD_UNEXPORT);
    // Unknown type.
    vdmabuf_hdr unknown{0x0150, 0, 4};
    r = fe_->ctrl_resp(unknown);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_ERR_MALFORMED);
    // Shorter than a header.
    uint8_t tiny[8] = {};
    uint8_t out[64];
    auto used = fe_->ctrl(tiny, sizeof tiny, out);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, sizeof(vdmabuf_resp));

    EXPECT_EQ(hello().hdr.type, VDMABUF_RESP_OK_HELLO);
    // Second HELLO.
    auto again = hello();
    EXPECT_EQ(again.hdr.type, VDMABUF_RESP_ERR_MALFORMED);
    EXPECT_EQ(session_->counters().errors[VDMABUF_RESP_ERR_NOT_READY - VDMABUF_RESP_ERR_UNSPEC], 1u);
    EXPECT_EQ(session_->counters().errors[VDMABUF_RESP_ERR_MALFORMED - VDMABUF_RESP_ERR_UNSPEC], 3u);
}

TEST_F(GuestSessionTest, ExportOverRingsIsOverlap) {
    ASSERT_NO_FATAL_FAILURE(ready());
    Export e = make_export(1);
    // Point the first extent at the ctrlq rings.
    vdmabuf_extent ext{fe_->ring_gpa[VDMABUF_VQ_CTRL], 8192};
    std::memcpy(e.bytes.data() + sizeof(vdmabuf_cmd_export), &ext, sizeof ext);
    vdmabuf_resp r{};
    ASSERT_TRUE(fe_->ctrl(e.bytes.data(), e.bytes.size(), &r, sizeof r));
    EXPECT_EQ(r.hdr.type, VDMABUF_RESP_ERR_OVERLAP);
    EXPECT_EQ(r.detail, sizeof(vdmabuf_cmd_export));
    EXPECT_TRUE(hub_.buffers.empty());
}

TEST_F(GuestSessionTest, BadChainsGetUsedLengthZero) {
    ASSERT_NO_FATAL_FAILURE(ready());
    // Writable part shorter than a response.
    vdmabuf_cmd_unexport u{{VDMABUF_CMD_UNEXPORT, 0, 3}, {ids_.guest, 1, ids_.key}};
    uint8_t out[16];
    auto used = fe_->ctrl(&u, sizeof u, out, sizeof out);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, 0u);
    // A descriptor outside guest memory.
    const virtio::Segment segs[] = {{0x10, 32, false}, {fe_->alloc(64), 64, true}};
    ASSERT_TRUE(fe_->post(VDMABUF_VQ_CTRL, segs, 4242));
    uint32_t token = 0, len = 99;
    ASSERT_TRUE(fe_->queue(VDMABUF_VQ_CTRL).get_used(token, len));
    EXPECT_EQ(token, 4242u);
    EXPECT_EQ(len, 0u);
    EXPECT_EQ(session_->counters().bad_chains, 2u);
    // The queue keeps working.
    auto r = fe_->ctrl_resp(u);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_ERR_INVALID_ID);
}

TEST_F(GuestSessionTest, DisconnectRetiresBuffers) {
    ASSERT_NO_FATAL_FAILURE(ready());
    ASSERT_EQ(export_buffer(1)->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(export_buffer(2)->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(fe_->ctrl_resp(present_cmd(1, 1))->hdr.type, VDMABUF_RESP_OK);
    hub_.log.clear();
    fe_.reset(); // the front-end goes away
    for (int i = 0; i < 10 && closed_ == 0; ++i)
        loop_->dispatch(10);
    EXPECT_EQ(closed_, 1);
    ASSERT_EQ(hub_.log.size(), 3u);
    EXPECT_EQ(hub_.log[0].rfind("buffer_removed", 0), 0u);
    EXPECT_EQ(hub_.log[1].rfind("buffer_removed", 0), 0u);
    EXPECT_EQ(hub_.log[2], "guest_removed " + std::to_string(ids_.guest));
    EXPECT_FALSE(session_->ready());
    // Late releases from the hub are ignored.
    session_->release({ids_.guest, 1, ids_.key}, 1, 0, VDMABUF_RELEASE_DONE);
    session_.reset();
    EXPECT_EQ(closed_, 1);
}

TEST_F(GuestSessionTest, StoppingCtrlqEndsTheSessionNotTheConnection) {
    ASSERT_NO_FATAL_FAILURE(ready());
    ASSERT_EQ(export_buffer(1)->hdr.type, VDMABUF_RESP_OK);
    hub_.log.clear();
    vu::VringState s{VDMABUF_VQ_CTRL, 0};
    fe_->send(static_cast<uint32_t>(vu::Request::get_vring_base), &s, sizeof s);
    auto reply = fe_->reply();
    ASSERT_TRUE(reply);
    vu::VringState base{};
    ASSERT_TRUE((*reply)->read_payload(base));
    EXPECT_EQ(base.index, VDMABUF_VQ_CTRL);
    EXPECT_EQ(base.num, 2u); // HELLO + EXPORT consumed
    ASSERT_EQ(hub_.log.size(), 2u);
    EXPECT_EQ(hub_.log[0], "buffer_removed 1");
    EXPECT_EQ(hub_.log[1], "guest_removed " + std::to_string(ids_.guest));
    EXPECT_FALSE(session_->ready());
    EXPECT_EQ(closed_, 0);
    EXPECT_TRUE(fe_->get_u64(vu::Request::get_features));
}

TEST_F(GuestSessionTest, MalformedMessageClosesOnlyThatConnection) {
    // A second guest on the same loop.
    VhostFrontend other(*loop_);
    int other_closed = 0;
    auto other_session = GuestSession::create(std::move(other.device_end), *loop_, hub_, {},
                                              [&](GuestSession&) { ++other_closed; });
    ASSERT_TRUE(other_session);
    ASSERT_NO_FATAL_FAILURE(ready());

    // Oversized payload: the stream cannot be trusted any more.
    const vu::Header bad{static_cast<uint32_t>(vu::Request::set_features), vu::kVersion, 1 << 20};
    ASSERT_EQ(::send(fe_->sock(), &bad, sizeof bad, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof bad));
    for (int i = 0; i < 10 && closed_ == 0; ++i)
        loop_->dispatch(10);
    EXPECT_EQ(closed_, 1);
    EXPECT_EQ(hub_.log.back(), "guest_removed " + std::to_string(ids_.guest));

    EXPECT_EQ(other_closed, 0);
    EXPECT_TRUE(other.get_u64(vu::Request::get_features));
    // Guest ids are unique per daemon run.
    ASSERT_NO_FATAL_FAILURE(other.handshake());
    const vdmabuf_cmd_hello h = testwire::hello_cmd("");
    vdmabuf_resp_hello r{};
    ASSERT_TRUE(other.ctrl(&h, sizeof h, &r, sizeof r));
    EXPECT_EQ(r.hdr.type, VDMABUF_RESP_OK_HELLO);
    EXPECT_NE(r.guest, ids_.guest);
    EXPECT_EQ(other_session->name(), "guest" + std::to_string(r.guest));
    other_session.reset(); // destroyed while connected: the hub hears about it
    EXPECT_EQ(hub_.log.back(), "guest_removed " + std::to_string(r.guest));
}

TEST_F(GuestSessionTest, NewMemoryTableRetiresBuffersKeepsSession) {
    ASSERT_NO_FATAL_FAILURE(ready());
    ASSERT_EQ(export_buffer(1)->hdr.type, VDMABUF_RESP_OK);
    ASSERT_EQ(fe_->ctrl_resp(present_cmd(1, 1))->hdr.type, VDMABUF_RESP_OK);
    hub_.log.clear();
    // The hub releasing from inside buffer_removed must not produce an event.
    fe_->post_event_buffers(4);
    EXPECT_EQ(fe_->send_mem_table(), 0u);
    ASSERT_EQ(hub_.log.size(), 1u);
    EXPECT_EQ(hub_.log[0], "buffer_removed 1");
    EXPECT_EQ(session_->presentations_in_flight(), 0u);
    session_->release({ids_.guest, 1, ids_.key}, 1, 0, VDMABUF_RELEASE_DONE);
    EXPECT_FALSE(fe_->next_event());
    // Still the same session: the rings were re-translated and HELLO holds.
    EXPECT_TRUE(session_->ready());
    auto r = export_buffer(2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_OK);
}

TEST_F(GuestSessionTest, ResetDeviceEndsTheSession) {
    ASSERT_NO_FATAL_FAILURE(ready());
    ASSERT_EQ(export_buffer(1)->hdr.type, VDMABUF_RESP_OK);
    hub_.log.clear();
    EXPECT_EQ(fe_->send_acked(vu::Request::reset_device, nullptr, 0), 0u);
    ASSERT_EQ(hub_.log.size(), 2u);
    EXPECT_EQ(hub_.log[1], "guest_removed " + std::to_string(ids_.guest));
    EXPECT_FALSE(session_->ready());
    EXPECT_EQ(closed_, 0);
    // Starting over gives a new guest id and key; the old IDs are dead.
    const SessionIds old = ids_;
    ASSERT_NO_FATAL_FAILURE(ready());
    EXPECT_NE(ids_.guest, old.guest);
    vdmabuf_cmd_unexport u{{VDMABUF_CMD_UNEXPORT, 0, 3}, {old.guest, 1, old.key}};
    auto r = fe_->ctrl_resp(u);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hdr.type, VDMABUF_RESP_ERR_INVALID_ID);
}

TEST_F(GuestSessionTest, BrokenQueueIsCountedOnceAndStopsProcessing) {
    ASSERT_NO_FATAL_FAILURE(ready());
    // The driver claims far more available entries than the ring holds.
    uint8_t* avail = fe_->queue(VDMABUF_VQ_CTRL).avail_addr();
    const uint16_t idx = virtio::ring::load16(avail + virtio::kAvailIdxOffset);
    virtio::ring::store_release(avail + virtio::kAvailIdxOffset,
                                static_cast<uint16_t>(idx + VhostFrontend::kQueueSize + 5));
    // SET_VRING_ENABLE makes the device look at the ring, like a kick.
    vu::VringState en{VDMABUF_VQ_CTRL, 1};
    EXPECT_EQ(fe_->send_acked(vu::Request::set_vring_enable, &en, sizeof en), 0u); // re-processes
    EXPECT_EQ(fe_->send_acked(vu::Request::set_vring_enable, &en, sizeof en), 0u);
    EXPECT_EQ(session_->counters().broken_queues, 1u);
    EXPECT_EQ(closed_, 0);
    // The eventq is unaffected.
    fe_->post_event_buffers(1);
    session_->refresh(3);
    auto ev = fe_->next_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->size(), sizeof(vdmabuf_evt_refresh));
}

TEST_F(GuestSessionTest, CtrlqTurnTakesAtMostTheQueueSize) {
    // A driver that posts its next CURSOR_MOVE while the device is still in the
    // ctrlq (from the hub's cursor_moved() callback): the ring never runs dry.
    // One loop turn takes at most the queue size of chains (device spec §3.2);
    // the rest follows in later turns without a kick.
    ASSERT_NO_FATAL_FAILURE(fe_->handshake(true, vu::bit(VDMABUF_F_CURSOR)));
    auto h = hello();
    ASSERT_EQ(h.hdr.type, VDMABUF_RESP_OK_HELLO);
    constexpr uint32_t kQueue = VhostFrontend::kQueueSize;
    constexpr uint64_t kMoves = 10 * kQueue + 1;
    vdmabuf_cmd_cursor_move m{};
    m.hdr = {VDMABUF_CMD_CURSOR_MOVE, 0, 1};
    m.visible = 1;
    const uint64_t req_gpa = fe_->alloc(sizeof m), resp_gpa = fe_->alloc(64);
    std::memcpy(fe_->host(req_gpa), &m, sizeof m);
    const virtio::Segment segs[] = {{req_gpa, sizeof m, false}, {resp_gpa, 64, true}};
    virtio::DriverQueue& ctrl = fe_->queue(VDMABUF_VQ_CTRL);
    uint64_t posted = 0, answered_ok = 0;
    // Reaps what was answered (its response is still in the one response slot).
    auto reap = [&] {
        uint32_t token = 0, used = 0;
        while (ctrl.get_used(token, used)) {
            vdmabuf_resp r{};
            std::memcpy(&r, fe_->host(resp_gpa), sizeof r);
            answered_ok += used == sizeof r && r.hdr.type == VDMABUF_RESP_OK;
        }
    };
    hub_.on_cursor_moved = [&](GuestSession&) {
        reap();
        if (posted < kMoves) {
            EXPECT_TRUE(fe_->post(VDMABUF_VQ_CTRL, segs, uint32_t(++posted), 0));
        }
    };
    ASSERT_TRUE(fe_->post(VDMABUF_VQ_CTRL, segs, uint32_t(++posted), 0)); // kicks
    ASSERT_EQ(loop_->dispatch(0), 1); // the kick
    EXPECT_EQ(hub_.cursor_moves.size(), kQueue) << "one turn took more than the queue size";
    EXPECT_EQ(session_->counters().ctrlq_yields, 1u);
    // Later turns (the 0 ms timer) finish the rest.
    for (int i = 0; i < 100 && hub_.cursor_moves.size() < kMoves; ++i)
        loop_->dispatch(0);
    reap();
    EXPECT_EQ(hub_.cursor_moves.size(), kMoves);
    EXPECT_EQ(answered_ok, kMoves);
    EXPECT_EQ(session_->counters().ctrlq_yields, kMoves / kQueue);
    // Drained: the device asks for kicks again, and a kicked chain is taken at once.
    m.hdr.tag = 2;
    std::memcpy(fe_->host(req_gpa), &m, sizeof m);
    ASSERT_TRUE(fe_->post(VDMABUF_VQ_CTRL, segs, uint32_t(++posted)));
    EXPECT_EQ(hub_.cursor_moves.size(), kMoves + 1);
}

} // namespace
} // namespace vdmabuf::backend
