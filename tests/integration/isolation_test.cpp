// Two guests on one vdmabufd cannot reach each other's buffers, and a viewer
// filtered to one guest hears nothing of the other.
#include <gtest/gtest.h>

#include "actors.hpp"
#include "daemon_process.hpp"

namespace vdmabuf::harness {
namespace {

std::unique_ptr<GuestActor> open_named(DaemonProcess& d, const char* name) {
    frontend::DeviceOptions opts;
    opts.name = name;
    opts.memory_size = 32 << 20;
    return GuestActor::open(d.guest_socket(), opts);
}

TEST(Isolation, GuestsCannotNameEachOthersBuffers) {
    auto daemon = DaemonProcess::start();
    ASSERT_TRUE(daemon);
    auto alice = open_named(*daemon, "alice");
    auto bob = open_named(*daemon, "bob");
    ASSERT_TRUE(alice && bob);
    EXPECT_NE(alice->device->guest_id(), bob->device->guest_id());

    auto only_alice = ViewerActor::connect(daemon->consumer_socket(), "alice");
    auto everyone = ViewerActor::connect(daemon->consumer_socket());
    ASSERT_TRUE(only_alice && everyone);
    only_alice->auto_release = everyone->auto_release = true;

    ExportedBuffer a = export_pattern(*alice, 64, 64, 1);
    ExportedBuffer b = export_pattern(*bob, 64, 64, 2);
    ASSERT_TRUE(a.memory && b.memory);

    // Bob presents and unexports Alice's buffer by its exact ID.
    uint64_t tag_present = 0, tag_unexport = 0;
    ASSERT_TRUE(bob->device->present(a.id, 0, 1, 0, {}, &tag_present));
    ASSERT_TRUE(bob->device->unexport(a.id, &tag_unexport));
    // A forged key on Bob's own guest id.
    vdmabuf_id forged = b.id;
    forged.key ^= 1;
    uint64_t tag_forged = 0;
    ASSERT_TRUE(bob->device->present(forged, 0, 2, 0, {}, &tag_forged));

    ASSERT_TRUE(pump_until([&] { return bob->errors.size() == 3; }, 5000,
                           {alice.get(), bob.get()}, {only_alice.get(), everyone.get()}));
    for (const auto& e : bob->errors)
        EXPECT_EQ(e.code, uint32_t(VDMABUF_RESP_ERR_INVALID_ID)) << "tag " << e.tag;
    EXPECT_EQ(bob->errors[0].tag, tag_present);
    EXPECT_EQ(bob->errors[1].request, uint32_t(VDMABUF_CMD_UNEXPORT));
    EXPECT_EQ(bob->errors[2].tag, tag_forged);

    // Alice's buffer is untouched and still works.
    ASSERT_TRUE(alice->device->present(a.id, 0, 1, 0, {}));
    ASSERT_TRUE(bob->device->present(b.id, 0, 1, 0, {}));
    ASSERT_TRUE(pump_until(
        [&] { return alice->releases.size() == 1 && bob->releases.size() == 1; }, 5000,
        {alice.get(), bob.get()}, {only_alice.get(), everyone.get()}));
    EXPECT_TRUE(alice->errors.empty());

    // The filtered viewer never heard of Bob.
    EXPECT_NE(only_alice->buffer(a.id), nullptr);
    EXPECT_EQ(only_alice->buffer(b.id), nullptr);
    for (const auto& p : only_alice->presents)
        EXPECT_EQ(p.id.guest, alice->device->guest_id());
    EXPECT_NE(everyone->buffer(a.id), nullptr);
    EXPECT_NE(everyone->buffer(b.id), nullptr);

    // An import of Bob's buffer by Alice's viewer is refused.
    auto stolen = only_alice->client->import(b.id);
    EXPECT_FALSE(stolen);
    EXPECT_EQ(only_alice->client->last_error(), uint32_t(VDMABUF_C_ERR_UNKNOWN_BUFFER));
}

} // namespace
} // namespace vdmabuf::harness
