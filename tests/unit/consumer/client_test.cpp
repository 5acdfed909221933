// Client against a scripted daemon: handshake, events, release, stats, disconnect.
#include "fake_daemon.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <vector>

namespace vdmabuf::consumer::test {
namespace {

TEST(ConsumerClient, ConnectsThroughAListeningSocket) {
    char dir[] = "/tmp/vdmabuf-consumer-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/consumer.sock";

    UniqueFd listener{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener.get(), 4), 0);

    vdmabuf_c_hello hello{};
    std::thread daemon([&] {
        UniqueFd conn{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
        std::vector<uint8_t> buf(256);
        ssize_t n = ::recv(conn.get(), buf.data(), buf.size(), 0);
        if (n == sizeof hello)
            std::memcpy(&hello, buf.data(), sizeof hello);
        auto w = welcome(9, VDMABUF_IMPORT_DMABUF, hello.hdr.tag, 777);
        (void)::send(conn.get(), w.data(), w.size(), MSG_NOSIGNAL);
        // Hold the connection until the client hangs up.
        (void)::recv(conn.get(), buf.data(), buf.size(), 0);
    });

    auto client = Client::connect(path, VDMABUF_ROLE_VIEWER, "guest0", 2);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->consumer_id(), 9u);
    EXPECT_EQ(client->import_mode(), uint32_t{VDMABUF_IMPORT_DMABUF});
    EXPECT_EQ(client->release_timeout_ms(), 777u);
    client.reset();
    daemon.join();

    EXPECT_EQ(hello.hdr.type, uint32_t{VDMABUF_C_HELLO});
    EXPECT_EQ(hello.hdr.size, sizeof hello);
    EXPECT_EQ(hello.magic, VDMABUF_CONSUMER_MAGIC);
    EXPECT_EQ(hello.version, VDMABUF_CONSUMER_VERSION);
    EXPECT_EQ(hello.role, uint32_t{VDMABUF_ROLE_VIEWER});
    EXPECT_EQ(hello.output, 2u);
    EXPECT_EQ(hello.flags, VDMABUF_C_HELLO_WANT_LIMITS);
    EXPECT_STREQ(reinterpret_cast<const char*>(hello.guest_name), "guest0");
    ::unlink(path.c_str());
    ::rmdir(dir);
}

TEST(ConsumerClient, ConnectFailsWithoutADaemon) {
    EXPECT_EQ(Client::connect("/nonexistent/vdmabuf/consumer.sock", VDMABUF_ROLE_CONTROL),
              nullptr);
    EXPECT_EQ(Client::connect(std::string(200, 'x'), VDMABUF_ROLE_CONTROL), nullptr);
}

TEST(ConsumerClient, HandshakeRefusedOrUnanswered) {
    {
        FakeDaemon d;
        ASSERT_TRUE(d.send(error(VDMABUF_C_HELLO, VDMABUF_C_ERR_VERSION, 1)));
        EXPECT_EQ(Client::adopt(d.take_client_end(), VDMABUF_ROLE_VIEWER), nullptr);
    }
    {
        FakeDaemon d; // says nothing
        EXPECT_EQ(Client::adopt(d.take_client_end(), VDMABUF_ROLE_VIEWER, {}, 0, 50), nullptr);
    }
    {
        FakeDaemon d;
        d.close(); // hangs up
        EXPECT_EQ(Client::adopt(d.take_client_end(), VDMABUF_ROLE_VIEWER), nullptr);
    }
    {
        FakeDaemon d;
        auto w = welcome(1, VDMABUF_IMPORT_MEMFD);
        w[16] ^= 0xff; // magic
        ASSERT_TRUE(d.send(w));
        EXPECT_EQ(Client::adopt(d.take_client_end(), VDMABUF_ROLE_VIEWER, {}, 0, 50), nullptr);
    }
    {
        FakeDaemon d;
        EXPECT_EQ(Client::adopt(d.take_client_end(), VDMABUF_ROLE_VIEWER, std::string(33, 'g')),
                  nullptr);
    }
}

TEST(ConsumerClient, DefaultPathFollowsXdgRuntimeDir) {
    const char* old = std::getenv("XDG_RUNTIME_DIR");
    std::string saved = old ? old : "";
    ::setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
    EXPECT_EQ(Client::default_path(), "/run/user/1234/vdmabuf/consumer.sock");
    ::unsetenv("XDG_RUNTIME_DIR");
    EXPECT_EQ(Client::default_path(),
              "/tmp/vdmabuf-" + std::to_string(::getuid()) + "/consumer.sock");
    if (old)
        ::setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
}

// Records every callback as one line, in order.
struct Recorder {
    std::vector<std::string> log;
    std::vector<PresentEvent> presents;
    std::vector<BufferInfo> buffers;
    int disconnects = 0;

    Callbacks callbacks() {
        Callbacks cb;
        cb.on_guest_new = [this](uint32_t g, std::string_view name) {
            log.push_back("guest_new " + std::to_string(g) + " " + std::string(name));
        };
        cb.on_guest_gone = [this](uint32_t g) { log.push_back("guest_gone " + std::to_string(g)); };
        cb.on_buffer_new = [this](const BufferInfo& b) {
            buffers.push_back(b);
            log.push_back("buffer_new " + std::to_string(b.id.counter));
        };
        cb.on_present = [this](const PresentEvent& p) {
            presents.push_back(p);
            log.push_back("present " + std::to_string(p.id.counter) + " " +
                          std::to_string(p.sequence));
        };
        cb.on_buffer_gone = [this](const vdmabuf_id& id) {
            log.push_back("buffer_gone " + std::to_string(id.counter));
        };
        cb.on_error = [this](uint32_t request, uint32_t code, uint64_t tag) {
            log.push_back("error " + std::to_string(request) + " " + std::to_string(code) + " " +
                          std::to_string(tag));
        };
        cb.on_disconnect = [this] { ++disconnects; };
        return cb;
    }
};

TEST(ConsumerClient, DeliversEventsInOrderWithTheirFields) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->consumer_id(), 42u);
    EXPECT_EQ(client->import_mode(), uint32_t{VDMABUF_IMPORT_MEMFD});
    EXPECT_EQ(client->release_timeout_ms(), 0u) << "a 32-byte WELCOME does not say";
    Recorder rec;
    client->set_callbacks(rec.callbacks());

    EXPECT_EQ(client->dispatch(), 0); // nothing yet
    auto id = make_id(5);
    // A name using all 32 bytes, no NUL.
    ASSERT_TRUE(d.send(guest(VDMABUF_C_GUEST_NEW, 3, "abcdefghijklmnopqrstuvwxyz012345")));
    ASSERT_TRUE(d.send(buffer_new(id, 640, 480, 640 * 480 * 4)));
    ASSERT_TRUE(d.send(present(id, 11, 3, 1)));
    ASSERT_TRUE(d.send(buffer_gone(id)));
    ASSERT_TRUE(d.send(guest(VDMABUF_C_GUEST_GONE, 3, "")));
    ASSERT_TRUE(d.send(error(VDMABUF_C_RELEASE, VDMABUF_C_ERR_NOT_HELD, 77)));

    ASSERT_TRUE(client->wait(1000));
    EXPECT_EQ(client->dispatch(), 6);
    std::vector<std::string> want = {
        "guest_new 3 abcdefghijklmnopqrstuvwxyz012345", "buffer_new 5", "present 5 11",
        "buffer_gone 5", "guest_gone 3", "error 3 5 77"};
    EXPECT_EQ(rec.log, want);

    ASSERT_EQ(rec.buffers.size(), 1u);
    const BufferInfo& b = rec.buffers[0];
    EXPECT_TRUE(same_id(b.id, id));
    EXPECT_EQ(b.width, 640u);
    EXPECT_EQ(b.height, 480u);
    EXPECT_EQ(b.fourcc, 0x34325258u);
    EXPECT_EQ(b.n_planes, 1u);
    EXPECT_EQ(b.planes[0].stride, 640u * 4);
    EXPECT_EQ(b.size, 640u * 480 * 4);

    ASSERT_EQ(rec.presents.size(), 1u);
    const PresentEvent& p = rec.presents[0];
    EXPECT_TRUE(same_id(p.id, id));
    EXPECT_EQ(p.output, 1u);
    EXPECT_EQ(p.sequence, 11u);
    EXPECT_EQ(p.guest_time_ns, 11000u);
    EXPECT_EQ(p.host_time_ns, 11007u);
    EXPECT_EQ(p.n_damage, 3u);
    EXPECT_EQ(p.damage[2].x, 2u);
    EXPECT_EQ(p.damage[2].height, 22u);
    EXPECT_EQ(client->dropped_packets(), 0u);
}

TEST(ConsumerClient, ReleaseSendsIdAndSequence) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    auto id = make_id(8);
    ASSERT_TRUE(client->release(id, 1234));
    auto pkt = d.recv();
    ASSERT_TRUE(pkt);
    ASSERT_EQ(pkt->size(), sizeof(vdmabuf_c_release));
    auto r = as<vdmabuf_c_release>(*pkt);
    EXPECT_EQ(r.hdr.type, uint32_t{VDMABUF_C_RELEASE});
    EXPECT_EQ(r.hdr.size, sizeof r);
    EXPECT_TRUE(same_id(r.id, id));
    EXPECT_EQ(r.sequence, 1234u);
}

TEST(ConsumerClient, StatsReturnsTheReplyText) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    Recorder rec;
    client->set_callbacks(rec.callbacks());

    d.run([](FakeDaemon& self) {
        auto req = self.recv();
        ASSERT_TRUE(req);
        auto s = as<vdmabuf_c_stats>(*req);
        EXPECT_EQ(s.hdr.type, uint32_t{VDMABUF_C_STATS});
        EXPECT_EQ(s.hdr.size, sizeof s);
        EXPECT_EQ(s.format, VDMABUF_C_STATS_JSON);
        EXPECT_EQ(s.what, VDMABUF_C_WHAT_LIST);
        // An event first, a reply to someone else's tag, then the answer.
        self.send(guest(VDMABUF_C_GUEST_NEW, 1, "g"));
        self.send(stats_reply(VDMABUF_C_STATS_JSON, "stale", s.hdr.tag + 100));
        self.send(stats_reply(VDMABUF_C_STATS_JSON, "{\"guests\":[]}", s.hdr.tag));
        // A second request answered with an ERROR.
        req = self.recv();
        ASSERT_TRUE(req);
        s = as<vdmabuf_c_stats>(*req);
        self.send(error(VDMABUF_C_STATS, VDMABUF_C_ERR_ROLE, s.hdr.tag));
    });
    auto text = client->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_LIST);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "{\"guests\":[]}");
    EXPECT_EQ(client->last_error(), 0u);
    EXPECT_FALSE(client->stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_STATS));
    EXPECT_EQ(client->last_error(), uint32_t{VDMABUF_C_ERR_ROLE});
    d.join();
    EXPECT_EQ(client->dropped_packets(), 1u); // the stale reply

    EXPECT_EQ(client->dispatch(), 1); // the queued GUEST_NEW
    EXPECT_EQ(rec.log, std::vector<std::string>{"guest_new 1 g"});
}

TEST(ConsumerClient, DisconnectIsReportedOnceAfterPendingEvents) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    Recorder rec;
    client->set_callbacks(rec.callbacks());

    ASSERT_TRUE(d.send(buffer_gone(make_id(1))));
    d.close();
    ASSERT_TRUE(client->wait(1000));
    EXPECT_EQ(client->dispatch(), -1);
    EXPECT_EQ(rec.log, std::vector<std::string>{"buffer_gone 1"});
    EXPECT_EQ(rec.disconnects, 1);
    EXPECT_FALSE(client->connected());
    EXPECT_EQ(client->dispatch(), -1);
    EXPECT_EQ(rec.disconnects, 1);
    EXPECT_FALSE(client->release(make_id(1), 1));
    EXPECT_FALSE(client->import(make_id(1)));
    EXPECT_TRUE(client->wait(0));
}

} // namespace
} // namespace vdmabuf::consumer::test
