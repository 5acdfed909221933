// Hostile IDs and sequences (device spec §5.2, §6.3, §6.4): forged keys, other
// guests' IDs, IDs of a previous session, unknown buffers, replayed sequences,
// UNEXPORT while presented.
#include "fixture.hpp"

namespace vdmabuf::hostile {
namespace {

constexpr uint32_t kId = offsetof(vdmabuf_cmd_present, id); // 16 in every request
constexpr uint32_t kIdGuest = kId + offsetof(vdmabuf_id, guest);
constexpr uint32_t kIdCounter = kId + offsetof(vdmabuf_id, counter);
constexpr uint32_t kIdKey = kId + offsetof(vdmabuf_id, key);

template <typename T> std::vector<uint8_t> bytes_of(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    return {p, p + sizeof v};
}

using Ids = Hostile;

TEST_F(Ids, ForgedKey) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->export_ok(1));
    vdmabuf_cmd_present p = g->present_cmd(1, 0, 1);
    p.id.key ^= 1;
    expect_error(*g, p, VDMABUF_RESP_ERR_INVALID_ID, kIdKey);
    vdmabuf_cmd_unexport u = g->unexport_cmd(1);
    u.id.key = 0;
    expect_error(*g, u, VDMABUF_RESP_ERR_INVALID_ID, kIdKey);
    ExportRequest e = g->valid_export(2);
    e.cmd.id.key = ~g->key();
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ID, kIdKey);
    e = g->valid_export(0); // counter 0 is never valid
    expect_error(*g, e.bytes(), VDMABUF_RESP_ERR_INVALID_ID, kIdCounter);
    // The real ID still works: nothing changed.
    auto ok = g->request(g->present_cmd(1, 0, 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    expect_log("ERR_INVALID_ID");
    expect_counter({"daemon", "errors", "INVALID_ID"}, 4);
}

TEST_F(Ids, AnotherGuestsIds) {
    RawGuest* a = attacker({.name = "alice"});
    RawGuest* b = attacker({.name = "bob"});
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(a->export_ok(1));
    // Bob knows Alice's whole ID (guest, counter and key) and still cannot use it.
    vdmabuf_cmd_present p = a->present_cmd(1, 0, 1);
    expect_error(*b, p, VDMABUF_RESP_ERR_INVALID_ID, kIdGuest);
    vdmabuf_cmd_unexport u = a->unexport_cmd(1);
    expect_error(*b, u, VDMABUF_RESP_ERR_INVALID_ID, kIdGuest);
    // Nor the honest guest's, whose guest id is public.
    vdmabuf_cmd_present h = b->present_cmd(1, 0, 1);
    h.id.guest = honest().guest_id();
    expect_error(*b, h, VDMABUF_RESP_ERR_INVALID_ID, kIdGuest);
    // Alice's buffer is untouched.
    auto ok = a->request(a->present_cmd(1, 0, 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    expect_log("'bob': PRESENT");
    expect_counter({"daemon", "errors", "INVALID_ID"}, 3);
}

TEST_F(Ids, IdsOfAPreviousSession) {
    RawGuest* first = attacker();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->export_ok(1));
    const vdmabuf_cmd_present old = first->present_cmd(1, 0, 1);
    disconnect(first);
    RawGuest* again = attacker();
    ASSERT_TRUE(again);
    EXPECT_NE(again->guest_id(), old.id.guest);
    expect_error(*again, old, VDMABUF_RESP_ERR_INVALID_ID, kIdGuest);
    // Same counter with the new session's guest but the old key.
    vdmabuf_cmd_present mixed = old;
    mixed.id.guest = again->guest_id();
    expect_error(*again, mixed, VDMABUF_RESP_ERR_INVALID_ID, kIdKey);
    expect_log("ERR_INVALID_ID");
    expect_counter({"daemon", "errors", "INVALID_ID"}, 2);
}

TEST_F(Ids, UnknownBuffers) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    expect_error(*g, g->unexport_cmd(77), VDMABUF_RESP_ERR_INVALID_ID, kIdCounter);
    expect_error(*g, g->present_cmd(77, 0, 1), VDMABUF_RESP_ERR_INVALID_ID, kIdCounter);
    // UNEXPORT twice: the second names a buffer that is gone.
    ASSERT_TRUE(g->export_ok(3));
    auto ok = g->request(g->unexport_cmd(3));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    expect_error(*g, g->unexport_cmd(3), VDMABUF_RESP_ERR_INVALID_ID, kIdCounter);
    // A duplicate EXPORT of a live counter.
    ASSERT_TRUE(g->export_ok(4));
    expect_error(*g, g->valid_export(4).bytes(), VDMABUF_RESP_ERR_DUPLICATE_ID, kIdCounter);
    expect_log("UNEXPORT (0x0103");
    expect_counter({"daemon", "errors", "INVALID_ID"}, 3);
    expect_counter({"daemon", "errors", "DUPLICATE_ID"}, 1);
}

TEST_F(Ids, ReplayedAndStaleSequences) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->export_ok(1));
    ASSERT_TRUE(g->export_ok(2));
    auto ok = g->request(g->present_cmd(1, 3, 100));
    ASSERT_TRUE(ok);
    ASSERT_EQ(ok->resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    ASSERT_EQ(g->wait_releases(1).size(), 1u);
    constexpr uint32_t kSeq = offsetof(vdmabuf_cmd_present, sequence);
    expect_error(*g, g->present_cmd(1, 3, 100), VDMABUF_RESP_ERR_STALE_SEQUENCE, kSeq); // replay
    expect_error(*g, g->present_cmd(2, 3, 99), VDMABUF_RESP_ERR_STALE_SEQUENCE, kSeq);
    expect_error(*g, g->present_cmd(2, 3, 0), VDMABUF_RESP_ERR_STALE_SEQUENCE, kSeq);
    // Sequences are per output: 1 on output 4 is fresh.
    ok = g->request(g->present_cmd(2, 4, 1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    // And output 16 does not exist.
    expect_error(*g, g->present_cmd(1, VDMABUF_MAX_OUTPUTS, 500), VDMABUF_RESP_ERR_INVALID_OUTPUT,
                 offsetof(vdmabuf_cmd_present, output));
    expect_log("ERR_STALE_SEQUENCE");
    expect_counter({"daemon", "errors", "STALE_SEQUENCE"}, 3);
    expect_counter({"daemon", "errors", "INVALID_OUTPUT"}, 1);
}

TEST_F(Ids, BadDamage) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->export_ok(1)); // 64x64
    constexpr uint32_t kDamage = offsetof(vdmabuf_cmd_present, damage);
    vdmabuf_cmd_present p = g->present_cmd(1, 0, 1);
    p.n_damage = VDMABUF_MAX_DAMAGE + 1;
    expect_error(*g, p, VDMABUF_RESP_ERR_INVALID_DAMAGE, offsetof(vdmabuf_cmd_present, n_damage));
    p.n_damage = 2;
    p.damage[0] = {0, 0, 64, 64};
    p.damage[1] = {0xffffffffu, 0, 2, 2}; // x + width wraps 32 bits
    expect_error(*g, p, VDMABUF_RESP_ERR_INVALID_DAMAGE, kDamage + 16);
    p.damage[1] = {10, 10, 0, 5}; // empty
    expect_error(*g, p, VDMABUF_RESP_ERR_INVALID_DAMAGE, kDamage + 16);
    expect_log("ERR_INVALID_DAMAGE");
    expect_counter({"daemon", "errors", "INVALID_DAMAGE"}, 3);
}

TEST_F(Ids, UnexportWhilePresented) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    ASSERT_TRUE(g->export_ok(1));
    // PRESENT, a second PRESENT and UNEXPORT in one batch: the device answers the
    // later two before the viewer can have released the first.
    const auto replies = g->request_batch({bytes_of(g->present_cmd(1, 0, 1)),
                                           bytes_of(g->present_cmd(1, 0, 2)),
                                           bytes_of(g->unexport_cmd(1))});
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0].resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    EXPECT_EQ(replies[1].resp.hdr.type, uint32_t(VDMABUF_RESP_ERR_IN_USE));
    EXPECT_EQ(replies[1].resp.detail, kId);
    EXPECT_EQ(replies[2].resp.hdr.type, uint32_t(VDMABUF_RESP_ERR_IN_USE));
    EXPECT_EQ(replies[2].resp.detail, kId);
    EXPECT_EQ(replies[2].resp.request, uint32_t(VDMABUF_CMD_UNEXPORT));
    // After its RELEASE the buffer can go.
    const auto events = g->wait_releases(1);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].release.sequence, 1u);
    auto ok = g->request(g->unexport_cmd(1));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    expect_log("ERR_IN_USE");
    expect_counter({"daemon", "errors", "IN_USE"}, 2);
}

TEST_F(Ids, DisconnectWhilePresented) {
    RawGuest* g = attacker();
    ASSERT_TRUE(g);
    for (uint32_t c = 1; c <= 4; ++c)
        ASSERT_TRUE(g->export_ok(c));
    // Four presentations go out and the guest vanishes before hearing any RELEASE:
    // vdmabufd retires its buffers and forgets them (TearDown checks the counts).
    const auto replies = g->request_batch(
        {bytes_of(g->present_cmd(1, 0, 1)), bytes_of(g->present_cmd(2, 1, 1)),
         bytes_of(g->present_cmd(3, 2, 1)), bytes_of(g->present_cmd(4, 3, 1))});
    ASSERT_EQ(replies.size(), 4u);
    for (const auto& r : replies)
        EXPECT_EQ(r.resp.hdr.type, uint32_t(VDMABUF_RESP_OK));
    disconnect(g);
    expect_log("disconnected");
    expect_counter({"daemon", "presents"}, 4);
    expect_counter({"daemon", "retired"}, 4);
}

} // namespace
} // namespace vdmabuf::hostile
