// Hostile or broken packets from the daemon are dropped (and their fds closed)
// without crashing, and the connection keeps working.
#include "fake_daemon.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>

namespace vdmabuf::consumer::test {
namespace {

class ConsumerMalformed : public ::testing::Test {
protected:
    void SetUp() override {
        client_ = daemon_.connect_viewer();
        ASSERT_NE(client_, nullptr);
        Callbacks cb;
        cb.on_present = [this](const PresentEvent& p) { presents_.push_back(p.sequence); };
        cb.on_buffer_new = [this](const BufferInfo&) { ++buffers_; };
        cb.on_guest_new = [this](uint32_t, std::string_view) { ++other_; };
        cb.on_guest_gone = [this](uint32_t) { ++other_; };
        cb.on_buffer_gone = [this](const vdmabuf_id&) { ++other_; };
        cb.on_error = [this](uint32_t, uint32_t, uint64_t) { ++other_; };
        client_->set_callbacks(cb);
        baseline_fds_ = open_fd_count();
    }

    // Sends the bad packet, then a good PRESENT, and checks only the latter
    // arrives.
    void expect_dropped(const Bytes& bad, std::vector<int> fds = {}) {
        const uint64_t dropped = client_->dropped_packets();
        ASSERT_TRUE(daemon_.send_fds(bad, fds));
        ASSERT_TRUE(daemon_.send(present(make_id(1), ++sequence_)));
        ASSERT_TRUE(client_->wait(1000));
        EXPECT_EQ(client_->dispatch(), 1);
        ASSERT_FALSE(presents_.empty());
        EXPECT_EQ(presents_.back(), sequence_);
        EXPECT_EQ(presents_.size(), sequence_);
        EXPECT_EQ(buffers_ + other_, 0);
        EXPECT_EQ(client_->dropped_packets(), dropped + 1);
        EXPECT_EQ(open_fd_count(), baseline_fds_);
        EXPECT_TRUE(client_->connected());
    }

    FakeDaemon daemon_;
    std::unique_ptr<Client> client_;
    std::vector<uint64_t> presents_;
    int buffers_ = 0;
    int other_ = 0;
    uint64_t sequence_ = 0;
    size_t baseline_fds_ = 0;
};

Bytes with_size_field(Bytes b, uint32_t size) {
    std::memcpy(b.data() + 4, &size, sizeof size);
    return b;
}

TEST_F(ConsumerMalformed, HeaderSizeDiffersFromPacketLength) {
    auto p = present(make_id(1), 99);
    expect_dropped(with_size_field(p, static_cast<uint32_t>(p.size() - 8)));
    expect_dropped(with_size_field(p, static_cast<uint32_t>(p.size() + 8)));
    expect_dropped(Bytes{0x84, 0, 0}); // shorter than a header
}

TEST_F(ConsumerMalformed, UnknownTypeIsIgnored) {
    auto b = buffer_gone(make_id(1));
    b[0] = 0x99;
    expect_dropped(b);
}

TEST_F(ConsumerMalformed, TooShortOrTooLongEvents) {
    auto p = present(make_id(1), 99);
    p.resize(p.size() - 16);
    expect_dropped(with_size_field(p, static_cast<uint32_t>(p.size())));
    auto g = guest(VDMABUF_C_GUEST_NEW, 1, "x");
    g.resize(g.size() + 8);
    expect_dropped(with_size_field(g, static_cast<uint32_t>(g.size())));
    auto e = error(VDMABUF_C_RELEASE, 5, 0);
    e.resize(20);
    expect_dropped(with_size_field(e, 20));
}

TEST_F(ConsumerMalformed, PresentOverLimits) {
    expect_dropped(present(make_id(1), 99, VDMABUF_MAX_DAMAGE + 1));
    expect_dropped(present(make_id(1), 99, 0xffffffffu));
    expect_dropped(present(make_id(1), 99, 0, VDMABUF_MAX_OUTPUTS));
}

TEST_F(ConsumerMalformed, BufferNewOverLimits) {
    expect_dropped(buffer_new(make_id(1), 0, 10, 4096));
    expect_dropped(buffer_new(make_id(1), VDMABUF_MAX_DIMENSION + 1, 10, 4096));
    expect_dropped(buffer_new(make_id(1), 10, 10, 0));
    expect_dropped(buffer_new(make_id(1), 10, 10, VDMABUF_MAX_BUFFER_SIZE + 1));
    auto b = buffer_new(make_id(1), 10, 10, 4096);
    b[44] = 5; // n_planes
    expect_dropped(b);
}

TEST_F(ConsumerMalformed, FdsOnAnythingButImportReply) {
    GuestRam ram = make_guest_ram(1, 0);
    baseline_fds_ = open_fd_count();
    expect_dropped(buffer_new(make_id(1), 10, 10, 4096), {ram.ro.get()});
    expect_dropped(present(make_id(1), 99), {ram.ro.get(), ram.rw.get()});
}

TEST_F(ConsumerMalformed, UnsolicitedReplies) {
    GuestRam ram = make_guest_ram(1, 0);
    baseline_fds_ = open_fd_count();
    vdmabuf_c_import_extent e{0, 0, 0, VDMABUF_PAGE_SIZE};
    expect_dropped(import_reply(make_id(1), VDMABUF_IMPORT_MEMFD, 1, {e}, 5), {ram.ro.get()});
    expect_dropped(stats_reply(VDMABUF_C_STATS_TEXT, "hi", 5));
    expect_dropped(welcome(1, VDMABUF_IMPORT_MEMFD));
}

TEST_F(ConsumerMalformed, OversizedPacketIsTruncatedAndDropped) {
    Bytes big(VDMABUF_CONSUMER_MAX_MESSAGE + 4096, 0);
    big = with_size_field(big, static_cast<uint32_t>(big.size()));
    big[0] = VDMABUF_C_STATS_REPLY;
    int sndbuf = 1 << 20;
    // May be capped by net.core.wmem_max; the send below says if it fit.
    (void)::setsockopt(daemon_.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    expect_dropped(big);
}

TEST_F(ConsumerMalformed, TooManyFdsAreAllClosed) {
    GuestRam ram = make_guest_ram(1, 0);
    baseline_fds_ = open_fd_count();
    vdmabuf_c_import_extent e{0, 0, 0, VDMABUF_PAGE_SIZE};
    std::vector<int> fds(VDMABUF_CONSUMER_MAX_FDS + 3, ram.ro.get());
    expect_dropped(import_reply(make_id(1), VDMABUF_IMPORT_MEMFD, 11, {e}, 5), fds);
}

TEST_F(ConsumerMalformed, GarbageStormDoesNotCrash) {
    // Deterministic pseudo-random packets of every type, then a good one.
    uint32_t state = 12345;
    auto next = [&] {
        state = state * 1103515245u + 12345u;
        return state >> 8;
    };
    const uint32_t types[] = {VDMABUF_C_GUEST_NEW, VDMABUF_C_BUFFER_NEW, VDMABUF_C_PRESENT,
                              VDMABUF_C_BUFFER_GONE, VDMABUF_C_GUEST_GONE,
                              VDMABUF_C_IMPORT_REPLY, VDMABUF_C_STATS_REPLY, VDMABUF_C_ERROR,
                              VDMABUF_C_WELCOME, 0x7777};
    for (int i = 0; i < 300; ++i) {
        Bytes b(16 + next() % 400);
        for (auto& byte : b)
            byte = static_cast<uint8_t>(next());
        uint32_t type = types[next() % std::size(types)];
        std::memcpy(b.data(), &type, 4);
        if (next() % 2)
            b = with_size_field(b, static_cast<uint32_t>(b.size()));
        ASSERT_TRUE(daemon_.send(b));
        if (i % 50 == 0)
            (void)client_->dispatch();
    }
    ASSERT_TRUE(daemon_.send(present(make_id(1), 1000)));
    while (presents_.empty() || presents_.back() != 1000) {
        ASSERT_TRUE(client_->wait(1000));
        ASSERT_GE(client_->dispatch(), 0);
    }
    EXPECT_TRUE(client_->connected());
    EXPECT_EQ(open_fd_count(), baseline_fds_);
}

} // namespace
} // namespace vdmabuf::consumer::test
