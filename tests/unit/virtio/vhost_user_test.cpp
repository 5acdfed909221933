#include <vdmabuf/shared/scm_rights.hpp>
#include <vdmabuf/virtio/vhost_user.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace vdmabuf::virtio::vhost_user {
namespace {

class VhostUserTest : public ::testing::Test {
protected:
    void SetUp() override {
        int sv[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        a_.reset(sv[0]);
        b_.reset(sv[1]);
    }

    // Writes raw bytes, optionally with fds on the first byte.
    void raw_send(const void* data, size_t len, std::span<const int> fds = {}) {
        ASSERT_TRUE(send_with_fds(a_.get(), data, len, fds));
    }

    // A pipe whose write end we send; when every copy of the write end is closed the
    // read end reports EOF, which proves the receiver closed what it got.
    struct Probe {
        UniqueFd r, w;
        Probe() {
            int p[2];
            if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
                r.reset(p[0]);
                w.reset(p[1]);
            }
        }
        bool write_end_closed_everywhere() {
            char c;
            return ::read(r.get(), &c, 1) == 0;
        }
    };

    UniqueFd a_, b_;
    Message msg_;
};

TEST_F(VhostUserTest, StructLayouts) {
    EXPECT_EQ(sizeof(Header), 12u);
    EXPECT_EQ(sizeof(VringAddr), 40u);
    EXPECT_EQ(sizeof(MemoryRegion), 32u);
    EXPECT_EQ(static_cast<uint32_t>(Request::set_mem_table), 5u);
    EXPECT_EQ(static_cast<uint32_t>(Request::get_status), 40u);
    EXPECT_STREQ(request_name(11), "GET_VRING_BASE");
    EXPECT_STREQ(request_name(999), "unknown");
    EXPECT_EQ(bit(feature::kVersion1), uint64_t{1} << 32);
}

TEST_F(VhostUserTest, RoundTripWithFds) {
    UniqueFd ev{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    Probe probe;
    ASSERT_TRUE(ev);
    MemoryTable table{};
    table.nregions = 2;
    table.regions[0] = {0x1000, 0x2000, 0x7f0000, 0};
    table.regions[1] = {0x100000, 0x1000, 0x8f0000, 0x4000};
    Header hdr{static_cast<uint32_t>(Request::set_mem_table), kVersion,
               static_cast<uint32_t>(kMemoryTableHeaderSize + 2 * sizeof(MemoryRegion))};
    int fds[] = {ev.get(), probe.w.get()};
    ASSERT_TRUE(send_message(a_.get(), hdr, &table, fds));

    ASSERT_EQ(recv_message(b_.get(), msg_), RecvStatus::ok);
    EXPECT_EQ(msg_.hdr.request, 5u);
    EXPECT_EQ(msg_.hdr.size, hdr.size);
    ASSERT_EQ(msg_.nfds, 2u);
    MemoryTable got{};
    ASSERT_TRUE(parse_memory_table(msg_, got));
    EXPECT_EQ(got.nregions, 2u);
    EXPECT_EQ(got.regions[1].mmap_offset, 0x4000u);
    EXPECT_EQ(got.regions[1].guest_phys_addr, 0x100000u);

    // The received fd is a new descriptor for the same eventfd.
    UniqueFd rx = msg_.take_fd(0);
    ASSERT_TRUE(rx);
    EXPECT_NE(rx.get(), ev.get());
    EXPECT_TRUE(::fcntl(rx.get(), F_GETFD) & FD_CLOEXEC);
    uint64_t one = 1, val = 0;
    ASSERT_EQ(::write(rx.get(), &one, 8), 8);
    ASSERT_EQ(::read(ev.get(), &val, 8), 8);
    EXPECT_EQ(val, 1u);

    // A subsequent receive closes fds left in the message.
    probe.w.reset();
    EXPECT_FALSE(probe.write_end_closed_everywhere());
    Header h2{static_cast<uint32_t>(Request::set_owner), kVersion, 0};
    ASSERT_TRUE(send_message(a_.get(), h2, nullptr));
    ASSERT_EQ(recv_message(b_.get(), msg_), RecvStatus::ok);
    EXPECT_EQ(msg_.nfds, 0u);
    EXPECT_TRUE(probe.write_end_closed_everywhere());
}

TEST_F(VhostUserTest, ReplyU64AndReadPayload) {
    ASSERT_TRUE(
        send_reply_u64(a_.get(), static_cast<uint32_t>(Request::get_features), 0x1'4000'0000ull));
    ASSERT_EQ(recv_message(b_.get(), msg_), RecvStatus::ok);
    EXPECT_EQ(msg_.hdr.flags, kVersion | kFlagReply);
    uint64_t v = 0;
    ASSERT_TRUE(msg_.read_payload(v));
    EXPECT_EQ(v, 0x1'4000'0000ull);
    VringState st{};
    EXPECT_TRUE(msg_.read_payload(st)); // any 8-byte type fits an 8-byte payload
    VringAddr addr{};
    EXPECT_FALSE(msg_.read_payload(addr)); // a size mismatch is refused
}

TEST_F(VhostUserTest, PartialReadsAreReassembled) {
    Probe probe;
    VringAddr addr{1, 0, 0x1000, 0x2000, 0x3000, 0};
    std::vector<uint8_t> bytes(sizeof(Header) + sizeof addr);
    Header hdr{static_cast<uint32_t>(Request::set_vring_addr), kVersion, sizeof addr};
    std::memcpy(bytes.data(), &hdr, sizeof hdr);
    std::memcpy(bytes.data() + sizeof hdr, &addr, sizeof addr);

    std::thread writer([&] {
        int fds[] = {probe.w.get()};
        raw_send(bytes.data(), 5, fds);
        for (size_t i = 5; i < bytes.size(); i += 7) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            raw_send(bytes.data() + i, std::min<size_t>(7, bytes.size() - i));
        }
    });
    RecvStatus st = recv_message(b_.get(), msg_);
    writer.join();
    ASSERT_EQ(st, RecvStatus::ok);
    EXPECT_EQ(msg_.nfds, 1u);
    VringAddr got{};
    ASSERT_TRUE(msg_.read_payload(got));
    EXPECT_EQ(got.used_user_addr, 0x2000u);
    EXPECT_EQ(got.avail_user_addr, 0x3000u);
}

TEST_F(VhostUserTest, NonBlockingSocket) {
    ASSERT_EQ(::fcntl(b_.get(), F_SETFL, O_NONBLOCK), 0);
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::would_block);

    uint64_t v = 7;
    Header hdr{static_cast<uint32_t>(Request::set_features), kVersion, 8};
    std::vector<uint8_t> bytes(20);
    std::memcpy(bytes.data(), &hdr, 12);
    std::memcpy(bytes.data() + 12, &v, 8);
    raw_send(bytes.data(), 10);
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        raw_send(bytes.data() + 10, 10);
    });
    RecvStatus st = recv_message(b_.get(), msg_); // waits for the rest of the message
    writer.join();
    ASSERT_EQ(st, RecvStatus::ok);
    uint64_t got = 0;
    ASSERT_TRUE(msg_.read_payload(got));
    EXPECT_EQ(got, 7u);
}

// A server's reader never waits: a message arriving in pieces is kept across calls,
// fds included, and the next message starts clean.
TEST_F(VhostUserTest, MessageReaderAssemblesPiecesWithoutWaiting) {
    ASSERT_EQ(::fcntl(b_.get(), F_SETFL, O_NONBLOCK), 0);
    Probe probe;
    MessageReader reader;
    EXPECT_EQ(reader.read(b_.get(), msg_), RecvStatus::would_block);
    EXPECT_FALSE(reader.partial());

    uint64_t v = 7;
    Header hdr{static_cast<uint32_t>(Request::set_vring_kick), kVersion, 8};
    std::vector<uint8_t> bytes(20);
    std::memcpy(bytes.data(), &hdr, 12);
    std::memcpy(bytes.data() + 12, &v, 8);
    int fds[] = {probe.w.get()};
    raw_send(bytes.data(), 5, fds);
    EXPECT_EQ(reader.read(b_.get(), msg_), RecvStatus::would_block);
    EXPECT_TRUE(reader.partial());
    raw_send(bytes.data() + 5, 10);
    EXPECT_EQ(reader.read(b_.get(), msg_), RecvStatus::would_block);
    raw_send(bytes.data() + 15, 5);
    ASSERT_EQ(reader.read(b_.get(), msg_), RecvStatus::ok);
    EXPECT_FALSE(reader.partial());
    EXPECT_EQ(msg_.nfds, 1u);
    uint64_t got = 0;
    ASSERT_TRUE(msg_.read_payload(got));
    EXPECT_EQ(got, 7u);

    // Half a header, then the peer hangs up: malformed, and the reader starts over.
    raw_send(bytes.data(), 3);
    EXPECT_EQ(reader.read(b_.get(), msg_), RecvStatus::would_block);
    a_.reset();
    EXPECT_EQ(reader.read(b_.get(), msg_), RecvStatus::malformed);
    EXPECT_FALSE(reader.partial());
    EXPECT_EQ(msg_.nfds, 0u);
}

TEST_F(VhostUserTest, EofAtBoundaryIsClosed) {
    a_.reset();
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::closed);
}

TEST_F(VhostUserTest, TruncatedMessages) {
    Probe probe;
    Header hdr{static_cast<uint32_t>(Request::set_vring_num), kVersion, 16};
    uint8_t bytes[16] = {};
    std::memcpy(bytes, &hdr, 12);
    int fds[] = {probe.w.get()};
    raw_send(bytes, 16, fds); // header + 4 of 16 payload bytes, then close
    probe.w.reset();
    a_.reset();
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::malformed);
    EXPECT_EQ(msg_.nfds, 0u);
    EXPECT_TRUE(probe.write_end_closed_everywhere());
}

TEST_F(VhostUserTest, TruncatedHeader) {
    uint8_t bytes[6] = {1, 0, 0, 0, 1, 0};
    raw_send(bytes, sizeof bytes);
    a_.reset();
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::malformed);
}

TEST_F(VhostUserTest, OversizedSizeField) {
    Probe probe;
    Header hdr{static_cast<uint32_t>(Request::set_config), kVersion, kMaxPayload + 1};
    int fds[] = {probe.w.get()};
    raw_send(&hdr, sizeof hdr, fds);
    probe.w.reset();
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::malformed);
    EXPECT_TRUE(probe.write_end_closed_everywhere());

    Header huge{1, kVersion, 0xffffffff};
    raw_send(&huge, sizeof huge);
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::malformed);
}

TEST_F(VhostUserTest, WrongVersionBits) {
    for (uint32_t flags : {0u, 2u, 3u, kFlagReply}) {
        Header hdr{1, flags, 0};
        raw_send(&hdr, sizeof hdr);
        EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::malformed) << flags;
    }
    Header ok{1, kVersion | kFlagNeedReply, 0};
    raw_send(&ok, sizeof ok);
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::ok);
}

TEST_F(VhostUserTest, TooManyFdsIsMalformedAndClosesThem) {
    Probe probe;
    std::vector<int> fds(10, probe.w.get());
    Header hdr{static_cast<uint32_t>(Request::set_mem_table), kVersion, 0};
    raw_send(&hdr, sizeof hdr, fds);
    probe.w.reset();
    EXPECT_EQ(recv_message(b_.get(), msg_), RecvStatus::malformed);
    EXPECT_EQ(msg_.nfds, 0u);
    EXPECT_TRUE(probe.write_end_closed_everywhere());
}

TEST_F(VhostUserTest, SendRejectsInvalidMessages) {
    std::vector<int> nine(9, 0);
    Header hdr{1, kVersion, 0};
    EXPECT_FALSE(send_message(a_.get(), hdr, nullptr, nine));
    Header big{1, kVersion, kMaxPayload + 1};
    std::vector<uint8_t> payload(kMaxPayload + 1);
    EXPECT_FALSE(send_message(a_.get(), big, payload.data()));
    Header missing{1, kVersion, 8};
    EXPECT_FALSE(send_message(a_.get(), missing, nullptr));
    b_.reset();
    EXPECT_FALSE(send_message(a_.get(), hdr, nullptr)); // EPIPE, no SIGPIPE
}

TEST_F(VhostUserTest, ParseMemoryTableValidation) {
    Probe probe;
    msg_.hdr = {5, kVersion, 8};
    uint32_t nregions = 9;
    std::memcpy(msg_.payload, &nregions, 4);
    MemoryTable t{};
    EXPECT_FALSE(parse_memory_table(msg_, t)); // too many regions
    nregions = 1;
    std::memcpy(msg_.payload, &nregions, 4);
    EXPECT_FALSE(parse_memory_table(msg_, t)); // size does not cover the region
    msg_.hdr.size = 8 + 32;
    EXPECT_FALSE(parse_memory_table(msg_, t)); // no fd
    msg_.fds[0] = probe.w.dup_cloexec();
    msg_.nfds = 1;
    EXPECT_TRUE(parse_memory_table(msg_, t));
    EXPECT_EQ(t.nregions, 1u);
    msg_.hdr.size = 4;
    EXPECT_FALSE(parse_memory_table(msg_, t));
}

} // namespace
} // namespace vdmabuf::virtio::vhost_user
