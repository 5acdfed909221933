// Consumer request validation: every malformed request gets an ERROR and the
// connection keeps working; only a wrong magic or version closes it.
#include "hub_test_env.hpp"

namespace vdmabuf::backend::test {
namespace {

class Protocol : public HubTest {
protected:
    // The next packet is an ERROR with this code for this request type.
    void expect_error(Client& c, uint32_t code, uint32_t request) {
        pump();
        auto ps = c.drain();
        ASSERT_EQ(ps.size(), 1u);
        ASSERT_EQ(type_of(ps[0]), uint32_t(VDMABUF_C_ERROR));
        EXPECT_EQ(error_code(ps[0]), code);
        EXPECT_EQ(as<vdmabuf_c_error>(ps[0]).request, request);
    }
    // STATS still answered: the connection survived.
    void expect_alive(Client& c) {
        c.stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_STATS, 5);
        pump();
        auto ps = c.drain();
        ASSERT_EQ(ps.size(), 1u);
        EXPECT_EQ(type_of(ps[0]), uint32_t(VDMABUF_C_STATS_REPLY));
        EXPECT_EQ(as<vdmabuf_c_hdr>(ps[0]).tag, 5u);
    }
};

TEST_F(Protocol, RequestBeforeHelloIsNotReady) {
    Client c(*hub_);
    c.stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_STATS);
    expect_error(c, VDMABUF_C_ERR_NOT_READY, VDMABUF_C_STATS);
    c.release({1, 1, 1}, 1);
    expect_error(c, VDMABUF_C_ERR_NOT_READY, VDMABUF_C_RELEASE);
    c.hello();
    pump();
    auto welcome = c.drain().at(0);
    EXPECT_EQ(type_of(welcome), uint32_t(VDMABUF_C_WELCOME));
    EXPECT_EQ(as<vdmabuf_c_hdr>(welcome).tag, 1u) << "WELCOME echoes HELLO's tag";
    expect_alive(c);
}

TEST_F(Protocol, MalformedPacketsGetErrorsAndTheConnectionLives) {
    auto c = viewer();
    {   // hdr.size differs from the packet length
        vdmabuf_c_stats s{};
        s.hdr = {VDMABUF_C_STATS, sizeof(s) + 8, 1};
        c->send(s);
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_STATS);
    }
    {   // shorter than a header
        uint8_t shorty[8] = {VDMABUF_C_STATS, 0, 0, 0, 8, 0, 0, 0};
        c->send_raw(shorty, sizeof(shorty));
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_STATS);
    }
    {   // header consistent but wrong size for the type
        uint8_t buf[32] = {};
        vdmabuf_c_hdr h{VDMABUF_C_RELEASE, sizeof(buf), 3};
        std::memcpy(buf, &h, sizeof(h));
        c->send_raw(buf, sizeof(buf));
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_RELEASE);
    }
    {   // unknown type, and a daemon->consumer type
        vdmabuf_c_hdr h{0x55, sizeof(vdmabuf_c_hdr), 4};
        c->send(h);
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, 0x55);
        vdmabuf_c_welcome w{};
        w.hdr = {VDMABUF_C_WELCOME, sizeof(w), 4};
        c->send(w);
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_WELCOME);
    }
    {   // bad STATS format
        c->stats(7, VDMABUF_C_WHAT_STATS);
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_STATS);
    }
    {   // oversized packet: more than any request, truncated on read
        std::vector<uint8_t> big(4096, 0);
        vdmabuf_c_hdr h{VDMABUF_C_STATS, uint32_t(big.size()), 6};
        std::memcpy(big.data(), &h, sizeof(h));
        c->send_raw(big.data(), big.size());
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_STATS);
    }
    {   // a second HELLO
        c->hello();
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_HELLO);
    }
    {   // an empty packet: recvmsg() returns 0 as at end-of-file, but the peer is there
        c->send_raw(nullptr, 0);
        expect_error(*c, VDMABUF_C_ERR_MALFORMED, 0);
    }
    expect_alive(*c);
    EXPECT_FALSE(c->closed());
    EXPECT_EQ(hub_->counters().consumer_errors[VDMABUF_C_ERR_MALFORMED], 9u);
}

TEST_F(Protocol, HelloFieldsAreValidated) {
    Client c(*hub_);
    vdmabuf_c_hello h{};
    h.hdr = {VDMABUF_C_HELLO, sizeof(h), 1};
    h.magic = VDMABUF_CONSUMER_MAGIC;
    h.version = VDMABUF_CONSUMER_VERSION;
    h.role = 9;
    h.output = VDMABUF_CONSUMER_ANY;
    c.send(h);
    expect_error(c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_HELLO);
    h.role = VDMABUF_ROLE_VIEWER;
    std::memcpy(h.guest_name, "ab\0c", 4); // junk after the NUL
    c.send(h);
    expect_error(c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_HELLO);
    std::memset(h.guest_name, 0, sizeof(h.guest_name));
    h.output = 99;
    c.send(h);
    expect_error(c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_HELLO);
    h.output = 0;
    c.send(h);
    pump();
    EXPECT_EQ(type_of(c.drain().at(0)), uint32_t(VDMABUF_C_WELCOME));
}

// The 72-byte HELLO asks for the 40-byte WELCOME with the release timeout;
// the original 64-byte HELLO gets the original 32-byte WELCOME.
TEST_F(Protocol, HelloFlagsChooseTheWelcomeForm) {
    make_hub(1234);
    for (bool want : {false, true}) {
        Client c(*hub_);
        vdmabuf_c_hello h{};
        const size_t len = want ? sizeof(h) : offsetof(vdmabuf_c_hello, flags);
        h.hdr = {VDMABUF_C_HELLO, uint32_t(len), 1};
        h.magic = VDMABUF_CONSUMER_MAGIC;
        h.version = VDMABUF_CONSUMER_VERSION;
        h.role = VDMABUF_ROLE_VIEWER;
        h.output = VDMABUF_CONSUMER_ANY;
        h.flags = want ? VDMABUF_C_HELLO_WANT_LIMITS : 0;
        c.send_raw(&h, len);
        pump();
        auto ps = c.drain();
        ASSERT_FALSE(ps.empty());
        ASSERT_EQ(type_of(ps[0]), uint32_t(VDMABUF_C_WELCOME));
        const auto& hdr = as<vdmabuf_c_hdr>(ps[0]);
        if (!want) {
            EXPECT_EQ(hdr.size, 32u);
            continue;
        }
        ASSERT_EQ(hdr.size, sizeof(vdmabuf_c_welcome));
        EXPECT_EQ(as<vdmabuf_c_welcome>(ps[0]).release_timeout_ms, 1234u);
        EXPECT_EQ(as<vdmabuf_c_welcome>(ps[0]).padding, 0u);
    }
    // Unknown flag bits and padding are refused; the connection stays.
    Client c(*hub_);
    vdmabuf_c_hello h{};
    h.hdr = {VDMABUF_C_HELLO, sizeof(h), 1};
    h.magic = VDMABUF_CONSUMER_MAGIC;
    h.version = VDMABUF_CONSUMER_VERSION;
    h.role = VDMABUF_ROLE_VIEWER;
    h.output = VDMABUF_CONSUMER_ANY;
    h.flags = 2;
    c.send(h);
    expect_error(c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_HELLO);
    h.flags = VDMABUF_C_HELLO_WANT_LIMITS;
    h.padding = 1;
    c.send(h);
    expect_error(c, VDMABUF_C_ERR_MALFORMED, VDMABUF_C_HELLO);
    h.padding = 0;
    c.send(h);
    pump();
    EXPECT_EQ(type_of(c.drain().at(0)), uint32_t(VDMABUF_C_WELCOME));
}

TEST_F(Protocol, WrongMagicOrVersionClosesTheConnection) {
    for (int which = 0; which < 2; ++which) {
        Client c(*hub_);
        vdmabuf_c_hello h{};
        h.hdr = {VDMABUF_C_HELLO, sizeof(h), 1};
        h.magic = which ? VDMABUF_CONSUMER_MAGIC : 0xdeadbeef;
        h.version = which ? 2 : VDMABUF_CONSUMER_VERSION;
        h.role = VDMABUF_ROLE_VIEWER;
        c.send(h);
        expect_error(c, VDMABUF_C_ERR_VERSION, VDMABUF_C_HELLO);
        pump();
        EXPECT_TRUE(c.closed());
    }
    EXPECT_EQ(hub_->consumer_count(), 0u);
}

TEST_F(Protocol, ControlMayOnlyAskForStats) {
    FakeGuest g(1, "guest0");
    hub_->guest_added(g);
    hub_->buffer_added(g, g.make_buffer(1));
    Client c(*hub_);
    c.hello(VDMABUF_ROLE_CONTROL);
    pump();
    auto ps = c.drain();
    ASSERT_EQ(ps.size(), 1u); // WELCOME only: no events for CONTROL
    EXPECT_TRUE(g.refreshes.empty());
    c.release({1, 1, 0x1234abcdull}, 1);
    expect_error(c, VDMABUF_C_ERR_ROLE, VDMABUF_C_RELEASE);
    vdmabuf_c_import im{};
    im.hdr = {VDMABUF_C_IMPORT, sizeof(im), 2};
    im.id = BufferId{1, 1, 0x1234abcdull}.to_wire();
    c.send(im);
    expect_error(c, VDMABUF_C_ERR_ROLE, VDMABUF_C_IMPORT);
    expect_alive(c);
}

TEST_F(Protocol, FdsSentByAConsumerAreClosed) {
    auto c = viewer();
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    UniqueFd r{p[0]}, w{p[1]};
    vdmabuf_c_stats s{};
    s.hdr = {VDMABUF_C_STATS, sizeof(s), 3};
    c->send_with_fd(&s, sizeof(s), w.get());
    w.reset();
    pump();
    auto ps = c->drain();
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(type_of(ps[0]), uint32_t(VDMABUF_C_STATS_REPLY));
    // EOF on the read end: nobody, the daemon included, keeps the write end.
    char byte;
    EXPECT_EQ(::read(r.get(), &byte, 1), 0);
}

} // namespace
} // namespace vdmabuf::backend::test
