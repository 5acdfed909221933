// HubCore's release accounting: every presentation gets exactly one guest
// release with the right reason, driven through the GuestPort side with raw
// consumer sockets.
#include "hub_test_env.hpp"

#include <cstddef>

namespace vdmabuf::backend::test {
namespace {

class Accounting : public HubTest {
protected:
    void add_guest(FakeGuest& g, uint32_t buffers) {
        hub_->guest_added(g);
        for (uint32_t i = 1; i <= buffers; ++i)
            hub_->buffer_added(g, g.make_buffer(i));
    }
};

TEST_F(Accounting, NoConsumerReleasesAtOnce) {
    FakeGuest g(1, "guest0");
    add_guest(g, 1);
    hub_->presented(g, g.presentation(1, 1));
    ASSERT_EQ(g.releases.size(), 1u);
    EXPECT_EQ(g.releases[0].reason, uint32_t(VDMABUF_RELEASE_NO_CONSUMER));
    EXPECT_EQ(g.releases[0].sequence, 1u);
    EXPECT_EQ(hub_->in_flight(), 0u);
}

TEST_F(Accounting, ControlConsumersAndFilteredViewersDoNotHold) {
    FakeGuest g(1, "guest0");
    add_guest(g, 3);
    Client control(*hub_);
    control.hello(VDMABUF_ROLE_CONTROL);
    auto other_guest = viewer(VDMABUF_CONSUMER_ANY, "someone-else");
    auto other_output = viewer(1);
    hub_->presented(g, g.presentation(1, 1, 0));
    pump();
    ASSERT_EQ(g.releases.size(), 1u);
    EXPECT_EQ(g.releases[0].reason, uint32_t(VDMABUF_RELEASE_NO_CONSUMER));
    EXPECT_TRUE(of_type(control.drain(), VDMABUF_C_PRESENT).empty());
    EXPECT_TRUE(other_guest->drain().empty());
    // The output-1 viewer does get an output-1 frame.
    hub_->presented(g, g.presentation(2, 1, 1));
    pump();
    EXPECT_EQ(of_type(other_output->drain(), VDMABUF_C_PRESENT).size(), 1u);
    EXPECT_EQ(g.releases.size(), 1u);
}

TEST_F(Accounting, TwoViewersReleaseOnlyAfterBoth) {
    FakeGuest g(1, "guest0");
    add_guest(g, 1);
    auto a = viewer();
    auto b = viewer();
    hub_->presented(g, g.presentation(1, 5));
    pump();
    auto pa = of_type(a->drain(), VDMABUF_C_PRESENT);
    auto pb = of_type(b->drain(), VDMABUF_C_PRESENT);
    ASSERT_EQ(pa.size(), 1u);
    ASSERT_EQ(pb.size(), 1u);
    auto present = as<vdmabuf_c_present>(pa[0]);
    EXPECT_EQ(present.sequence, 5u);
    EXPECT_EQ(present.flags, 0u);
    EXPECT_EQ(BufferId::from_wire(present.id), (BufferId{1, 1, 0x1234abcdull}));

    a->release({1, 1, 0x1234abcdull}, 5);
    pump();
    EXPECT_TRUE(g.releases.empty());
    EXPECT_TRUE(a->drain().empty()); // no error
    b->release({1, 1, 0x1234abcdull}, 5);
    pump();
    ASSERT_EQ(g.releases.size(), 1u);
    EXPECT_EQ(g.releases[0].reason, uint32_t(VDMABUF_RELEASE_DONE));
    EXPECT_EQ(hub_->counters().releases[VDMABUF_RELEASE_DONE], 1u);
}

TEST_F(Accounting, DisconnectReleasesEverythingHeld) {
    FakeGuest g(1, "guest0");
    add_guest(g, 3);
    auto a = viewer();
    auto b = viewer();
    hub_->presented(g, g.presentation(1, 1, 0));
    hub_->presented(g, g.presentation(2, 1, 1));
    pump();
    EXPECT_EQ(of_type(b->drain(), VDMABUF_C_PRESENT).size(), 2u);
    b->release({1, 1, 0x1234abcdull}, 1);
    b->release({1, 2, 0x1234abcdull}, 1);
    pump();
    EXPECT_TRUE(g.releases.empty());
    a->close();
    pump();
    ASSERT_EQ(g.releases.size(), 2u);
    EXPECT_EQ(g.count(VDMABUF_RELEASE_DONE), 2u);
    EXPECT_EQ(hub_->consumer_count(), 1u);
    // A new frame now has one holder only.
    hub_->presented(g, g.presentation(3, 2, 0));
    pump();
    EXPECT_EQ(of_type(b->drain(), VDMABUF_C_PRESENT).size(), 1u);
    b->close();
    pump();
    EXPECT_EQ(g.count(VDMABUF_RELEASE_DONE), 3u);
    EXPECT_EQ(hub_->consumer_count(), 0u);
}

TEST_F(Accounting, ReleaseOfSomethingNotHeldIsNotHeld) {
    FakeGuest g(1, "guest0");
    add_guest(g, 1);
    auto a = viewer();
    hub_->presented(g, g.presentation(1, 3));
    pump();
    a->drain();
    a->release({1, 1, 0x1234abcdull}, 2, 41); // wrong sequence
    a->release({1, 9, 0x1234abcdull}, 3, 42); // unknown buffer
    a->release({7, 1, 0x1234abcdull}, 3, 43); // unknown guest
    pump();
    auto errors = of_type(a->drain(), VDMABUF_C_ERROR);
    ASSERT_EQ(errors.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(error_code(errors[i]), uint32_t(VDMABUF_C_ERR_NOT_HELD));
        EXPECT_EQ(as<vdmabuf_c_error>(errors[i]).request, uint32_t(VDMABUF_C_RELEASE));
        EXPECT_EQ(as<vdmabuf_c_error>(errors[i]).hdr.tag, 41u + i);
    }
    EXPECT_TRUE(g.releases.empty()); // no state changed
    a->release({1, 1, 0x1234abcdull}, 3);
    a->release({1, 1, 0x1234abcdull}, 3); // twice
    pump();
    ASSERT_EQ(g.releases.size(), 1u);
    errors = of_type(a->drain(), VDMABUF_C_ERROR);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(error_code(errors[0]), uint32_t(VDMABUF_C_ERR_NOT_HELD));
    EXPECT_EQ(hub_->counters().consumer_errors[VDMABUF_C_ERR_NOT_HELD], 4u);
}

// A viewer that stops reading: its socket fills, later frames of the same
// output replace the queued one (DROPPED to the guest), and what it finally
// reads says COALESCED with the count.
TEST_F(Accounting, CoalescesForAViewerThatDoesNotRead) {
    constexpr uint32_t kFrames = 60;
    FakeGuest g(1, "guest0");
    add_guest(g, kFrames);
    auto slow = viewer(VDMABUF_CONSUMER_ANY, "", 4096);
    auto fast = viewer(VDMABUF_CONSUMER_ANY, "");
    for (uint32_t i = 1; i <= kFrames; ++i) {
        hub_->presented(g, g.presentation(i, i));
        pump();
        // The fast viewer releases everything at once.
        for (const auto& p : of_type(fast->drain(), VDMABUF_C_PRESENT)) {
            auto m = as<vdmabuf_c_present>(p);
            fast->release(BufferId::from_wire(m.id), m.sequence);
        }
        pump();
    }
    size_t dropped = g.count(VDMABUF_RELEASE_DROPPED);
    EXPECT_GT(dropped, 0u);
    EXPECT_EQ(hub_->counters().coalesced, dropped);
    EXPECT_EQ(g.count(VDMABUF_RELEASE_DONE), 0u); // the slow one still holds or queues the rest
    EXPECT_EQ(g.releases.size() + hub_->in_flight(), kFrames);

    // Now it reads: everything delivered plus one coalesced frame, the last.
    std::vector<Packet> presents;
    for (int round = 0; round < 100; ++round) {
        auto got = of_type(slow->drain(), VDMABUF_C_PRESENT);
        presents.insert(presents.end(), got.begin(), got.end());
        pump();
        if (!got.empty() && as<vdmabuf_c_present>(got.back()).sequence == kFrames)
            break;
    }
    ASSERT_FALSE(presents.empty());
    auto last = as<vdmabuf_c_present>(presents.back());
    EXPECT_EQ(last.sequence, kFrames);
    EXPECT_EQ(last.flags, VDMABUF_C_PRESENT_COALESCED);
    EXPECT_EQ(last.dropped, dropped);
    EXPECT_EQ(presents.size() + dropped, kFrames);
    for (size_t i = 0; i + 1 < presents.size(); ++i)
        EXPECT_EQ(as<vdmabuf_c_present>(presents[i]).flags, 0u);
    for (const auto& p : presents) {
        auto m = as<vdmabuf_c_present>(p);
        slow->release(BufferId::from_wire(m.id), m.sequence);
    }
    pump();
    EXPECT_TRUE(of_type(slow->drain(), VDMABUF_C_ERROR).empty());
    EXPECT_EQ(g.releases.size(), kFrames);
    EXPECT_EQ(g.count(VDMABUF_RELEASE_DONE), kFrames - dropped);
    EXPECT_EQ(hub_->in_flight(), 0u);
}

TEST_F(Accounting, HoldPastTheTimeoutIsReleasedWithTimeout) {
    make_hub(50);
    FakeGuest g(1, "guest0");
    add_guest(g, 2);
    auto a = viewer();
    auto b = viewer();
    hub_->presented(g, g.presentation(1, 1));
    hub_->presented(g, g.presentation(2, 1, 1));
    pump();
    a->drain();
    b->drain();
    // Frame 2: b lets go in time, a does not; frame 1: neither does.
    b->release({1, 2, 0x1234abcdull}, 1);
    pump_for_ms(150);
    ASSERT_EQ(g.releases.size(), 2u);
    EXPECT_EQ(g.count(VDMABUF_RELEASE_TIMEOUT), 2u);
    EXPECT_EQ(hub_->counters().timeouts, 3u); // a twice, b once
    EXPECT_EQ(hub_->counters().releases[VDMABUF_RELEASE_TIMEOUT], 2u);
    // Too late now.
    a->release({1, 1, 0x1234abcdull}, 1);
    pump();
    auto errors = of_type(a->drain(), VDMABUF_C_ERROR);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(error_code(errors[0]), uint32_t(VDMABUF_C_ERR_NOT_HELD));
    EXPECT_EQ(g.releases.size(), 2u);
}

TEST_F(Accounting, GuestGoneForgetsWithoutRelease) {
    FakeGuest g(1, "guest0");
    add_guest(g, 2);
    auto a = viewer();
    hub_->presented(g, g.presentation(1, 1));
    pump();
    a->drain();
    hub_->buffer_removed(g, *g.find_buffer({1, 1, 0x1234abcdull}));
    hub_->buffer_removed(g, *g.find_buffer({1, 2, 0x1234abcdull}));
    hub_->guest_removed(g);
    pump();
    EXPECT_TRUE(g.releases.empty());
    EXPECT_EQ(hub_->in_flight(), 0u);
    auto events = a->drain();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(type_of(events[0]), uint32_t(VDMABUF_C_BUFFER_GONE));
    EXPECT_EQ(type_of(events[1]), uint32_t(VDMABUF_C_BUFFER_GONE));
    EXPECT_EQ(type_of(events[2]), uint32_t(VDMABUF_C_GUEST_GONE));
    EXPECT_EQ(as<vdmabuf_c_guest>(events[2]).guest, 1u);
    a->release({1, 1, 0x1234abcdull}, 1);
    pump();
    auto errors = of_type(a->drain(), VDMABUF_C_ERROR);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(error_code(errors[0]), uint32_t(VDMABUF_C_ERR_NOT_HELD));
}

TEST_F(Accounting, LateViewerGetsStateAndRefresh) {
    FakeGuest g(3, "desk");
    add_guest(g, 2);
    Client c(*hub_);
    c.hello(VDMABUF_ROLE_VIEWER, 2);
    pump();
    auto events = c.drain();
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(type_of(events[0]), uint32_t(VDMABUF_C_WELCOME));
    auto w = as<vdmabuf_c_welcome>(events[0]);
    EXPECT_EQ(w.consumer, c.id);
    EXPECT_EQ(w.import_mode, uint32_t(VDMABUF_IMPORT_MEMFD));
    EXPECT_EQ(type_of(events[1]), uint32_t(VDMABUF_C_GUEST_NEW));
    EXPECT_STREQ(reinterpret_cast<const char*>(as<vdmabuf_c_guest>(events[1]).name), "desk");
    EXPECT_EQ(type_of(events[2]), uint32_t(VDMABUF_C_BUFFER_NEW));
    auto bn = as<vdmabuf_c_buffer_new>(events[3]);
    EXPECT_EQ(bn.width, 64u);
    EXPECT_EQ(bn.size, 16384u);
    EXPECT_EQ(bn.planes[0].stride, 256u);
    ASSERT_EQ(g.refreshes.size(), 1u);
    EXPECT_EQ(g.refreshes[0], 2u);
    Client all(*hub_);
    all.hello();
    pump();
    ASSERT_EQ(g.refreshes.size(), 2u);
    EXPECT_EQ(g.refreshes[1], VDMABUF_OUTPUT_ALL);
    // A new guest is announced to the existing viewers.
    FakeGuest g2(4, "other");
    hub_->guest_added(g2);
    hub_->buffer_added(g2, g2.make_buffer(1));
    pump();
    auto more = all.drain();
    ASSERT_EQ(of_type(more, VDMABUF_C_GUEST_NEW).size(), 2u); // "desk" at hello, then "other"
    EXPECT_EQ(of_type(more, VDMABUF_C_BUFFER_NEW).size(), 3u);
}

TEST_F(Accounting, ImportHandsOutReadOnlyMemfds) {
    FakeGuest g(1, "guest0");
    add_guest(g, 2);
    auto a = viewer();
    vdmabuf_c_import im{};
    im.hdr = {VDMABUF_C_IMPORT, sizeof(im), 77};
    im.id = BufferId{1, 2, 0x1234abcdull}.to_wire();
    a->send(im);
    pump();
    auto replies = a->drain();
    ASSERT_EQ(replies.size(), 1u);
    ASSERT_EQ(type_of(replies[0]), uint32_t(VDMABUF_C_IMPORT_REPLY));
    auto r = as<vdmabuf_c_import_reply>(replies[0]);
    EXPECT_EQ(r.hdr.tag, 77u);
    EXPECT_EQ(r.mode, uint32_t(VDMABUF_IMPORT_MEMFD));
    EXPECT_EQ(r.n_fds, 1u);
    EXPECT_EQ(r.size, 16384u);
    ASSERT_EQ(r.n_extents, 1u);
    ASSERT_EQ(replies[0].size(), sizeof(r) + sizeof(vdmabuf_c_import_extent));
    vdmabuf_c_import_extent x;
    std::memcpy(&x, replies[0].data() + sizeof(r), sizeof(x));
    EXPECT_EQ(x.fd_index, 0u);
    EXPECT_EQ(x.offset, 2u * 16384);
    EXPECT_EQ(x.len, 16384u);
    ASSERT_EQ(a->fds.size(), 1u);
    EXPECT_EQ(::fcntl(a->fds[0].get(), F_GETFL) & O_ACCMODE, O_RDONLY);
    EXPECT_EQ(::fcntl(a->fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

    im.id = BufferId{1, 9, 0x1234abcdull}.to_wire();
    a->send(im);
    pump();
    auto errors = of_type(a->drain(), VDMABUF_C_ERROR);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(error_code(errors[0]), uint32_t(VDMABUF_C_ERR_UNKNOWN_BUFFER));
}

} // namespace
// VDMABUF_C_IMPORT_WRITABLE (spec §4): asked for, the reply says granted and
// the fd maps read-write; the original 32-byte IMPORT still gets the
// read-only reply; unknown flag bits are MALFORMED.
TEST_F(Accounting, ImportWritableOnlyWhenAsked) {
    FakeGuest g(1, "guest0");
    add_guest(g, 2);
    auto a = viewer();
    vdmabuf_c_import im{};
    im.hdr = {VDMABUF_C_IMPORT, sizeof(im), 78};
    im.id = BufferId{1, 2, 0x1234abcdull}.to_wire();
    im.flags = VDMABUF_C_IMPORT_WRITABLE;
    a->send(im);
    pump();
    auto replies = a->drain();
    ASSERT_EQ(replies.size(), 1u);
    ASSERT_EQ(type_of(replies[0]), uint32_t(VDMABUF_C_IMPORT_REPLY));
    EXPECT_EQ(as<vdmabuf_c_import_reply>(replies[0]).flags, VDMABUF_C_IMPORT_WRITABLE);
    ASSERT_EQ(a->fds.size(), 1u);
    EXPECT_EQ(::fcntl(a->fds[0].get(), F_GETFL) & O_ACCMODE, O_RDWR);
    a->fds.clear();

    im.hdr.size = offsetof(vdmabuf_c_import, flags); // the original form: no flags
    a->send_raw(&im, im.hdr.size);
    pump();
    replies = a->drain();
    ASSERT_EQ(replies.size(), 1u);
    ASSERT_EQ(type_of(replies[0]), uint32_t(VDMABUF_C_IMPORT_REPLY));
    EXPECT_EQ(as<vdmabuf_c_import_reply>(replies[0]).flags, 0u);
    ASSERT_EQ(a->fds.size(), 1u);
    EXPECT_EQ(::fcntl(a->fds[0].get(), F_GETFL) & O_ACCMODE, O_RDONLY);
    a->fds.clear();

    im.hdr.size = sizeof(im);
    im.flags = 2;
    a->send(im);
    pump();
    auto errors = of_type(a->drain(), VDMABUF_C_ERROR);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(error_code(errors[0]), uint32_t(VDMABUF_C_ERR_MALFORMED));
}

} // namespace vdmabuf::backend::test
