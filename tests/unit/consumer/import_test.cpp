// IMPORT over a real socketpair with real fd passing: scattered extents over
// two memfds, the read-only contiguous mapping, and event ordering around it.
#include "fake_daemon.hpp"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <unistd.h>

#include <vdmabuf/consumer/import.hpp>

namespace vdmabuf::consumer::test {
namespace {

constexpr uint64_t kPage = VDMABUF_PAGE_SIZE;

vdmabuf_c_import_extent extent(uint32_t fd_index, uint64_t page, uint64_t pages) {
    vdmabuf_c_import_extent e{};
    e.fd_index = fd_index;
    e.offset = page * kPage;
    e.len = pages * kPage;
    return e;
}

// Every /proc/self/maps line overlapping [base, base + len): their permission
// strings, after checking they cover the whole range.
std::vector<std::string> permissions_of(const void* base, size_t len) {
    auto lo = reinterpret_cast<uintptr_t>(base);
    auto hi = lo + len;
    std::ifstream maps("/proc/self/maps");
    std::vector<std::string> perms;
    uintptr_t covered = lo;
    std::string line;
    while (std::getline(maps, line)) {
        uintptr_t start = 0, end = 0;
        char p[5] = {};
        if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %4s", &start, &end, p) != 3)
            continue;
        if (end <= lo || start >= hi)
            continue;
        EXPECT_LE(start, covered) << "hole in the mapping";
        covered = std::max(covered, end);
        perms.emplace_back(p);
    }
    EXPECT_GE(covered, hi);
    return perms;
}

struct Order {
    std::vector<uint64_t> seen; // present sequences and buffer_new counters (+1000000)
    Callbacks callbacks() {
        Callbacks cb;
        cb.on_present = [this](const PresentEvent& p) { seen.push_back(p.sequence); };
        cb.on_buffer_new = [this](const BufferInfo& b) { seen.push_back(1000000 + b.id.counter); };
        return cb;
    }
};

TEST(ConsumerImport, ScatteredMemfdExtentsMapContiguousAndReadOnly) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    Order order;
    client->set_callbacks(order.callbacks());

    GuestRam a = make_guest_ram(8, 0x10);
    GuestRam b = make_guest_ram(4, 0x80);
    const auto id = make_id(7);
    // Out of order, across both fds: a[5..6], b[0], a[1..3], b[3].
    const std::vector<vdmabuf_c_import_extent> extents = {
        extent(0, 5, 2), extent(1, 0, 1), extent(0, 1, 3), extent(1, 3, 1)};

    ASSERT_TRUE(d.send(present(make_id(1), 1)));  // before the request: dispatched normally
    d.run([&](FakeDaemon& self) {
        auto req = self.recv();
        ASSERT_TRUE(req);
        auto imp = as<vdmabuf_c_import>(*req);
        EXPECT_EQ(imp.hdr.type, uint32_t{VDMABUF_C_IMPORT});
        EXPECT_EQ(imp.hdr.size, sizeof imp);
        EXPECT_TRUE(same_id(imp.id, id));
        // 600 events while the client waits: more than the queue's initial
        // room and more than the socket buffer holds at once.
        for (uint64_t seq = 2; seq < 600; ++seq) {
            if (seq % 100 == 0)
                self.send(buffer_new(make_id(static_cast<uint32_t>(seq)), 64, 64, 64 * 64 * 4));
            else
                self.send(present(make_id(1), seq));
        }
        self.send(import_reply(id, VDMABUF_IMPORT_MEMFD, 2, extents, imp.hdr.tag),
                  {a.ro.get(), b.ro.get()});
        self.send(present(make_id(1), 600));
    });
    auto imported = client->import(id);
    d.join();
    ASSERT_TRUE(imported);
    EXPECT_TRUE(order.seen.empty()); // nothing delivered during import()

    EXPECT_TRUE(same_id(imported->id(), id));
    EXPECT_EQ(imported->mode(), uint32_t{VDMABUF_IMPORT_MEMFD});
    EXPECT_EQ(imported->size(), 7 * kPage);
    EXPECT_EQ(imported->fd_count(), 2u);
    EXPECT_GE(imported->fd(1), 0);
    EXPECT_EQ(imported->fd(2), -1);
    ASSERT_EQ(imported->extents().size(), 4u);
    EXPECT_EQ(imported->extents()[2].offset, kPage);

    const uint8_t* bytes = imported->map();
    ASSERT_NE(bytes, nullptr);
    EXPECT_EQ(imported->map(), bytes); // mapped once
    const uint8_t want_pages[] = {0x15, 0x16, 0x80, 0x11, 0x12, 0x13, 0x83};
    for (size_t p = 0; p < 7; ++p) {
        EXPECT_EQ(bytes[p * kPage], want_pages[p]) << "page " << p;
        EXPECT_EQ(bytes[p * kPage + kPage - 1], want_pages[p]) << "page " << p;
    }
    // Shared, not a copy: a later guest write shows through.
    const uint8_t x = 0xee;
    ASSERT_EQ(::pwrite(b.rw.get(), &x, 1, 3 * kPage + 5), 1);
    EXPECT_EQ(bytes[6 * kPage + 5], 0xee);

    for (const auto& perm : permissions_of(bytes, 7 * kPage))
        EXPECT_EQ(perm, "r--s");

    // Every event that arrived meanwhile, in wire order, at the next dispatch.
    ASSERT_TRUE(client->wait(1000));
    int total = 0;
    while (order.seen.size() < 600) {
        int n = client->dispatch();
        ASSERT_GE(n, 0);
        total += n;
        if (n == 0) {
            ASSERT_TRUE(client->wait(1000));
        }
    }
    EXPECT_EQ(total, 600);
    ASSERT_EQ(order.seen.size(), 600u);
    EXPECT_EQ(order.seen[0], 1u);
    for (uint64_t seq = 2; seq <= 600; ++seq)
        EXPECT_EQ(order.seen[seq - 1], seq % 100 == 0 && seq < 600 ? 1000000 + seq : seq);
    EXPECT_EQ(client->dropped_packets(), 0u);
}

TEST(ConsumerImport, DmabufModeMapsTheSingleFd) {
    FakeDaemon d;
    auto client = d.connect_viewer(VDMABUF_IMPORT_DMABUF);
    ASSERT_NE(client, nullptr);
    GuestRam ram = make_guest_ram(3, 0x40); // stands in for the udmabuf
    const auto id = make_id(2);
    d.run([&](FakeDaemon& self) {
        auto req = self.recv();
        ASSERT_TRUE(req);
        self.send(import_reply(id, VDMABUF_IMPORT_DMABUF, 1, {extent(0, 0, 3)},
                               as<vdmabuf_c_import>(*req).hdr.tag),
                  {ram.ro.get()});
    });
    auto imported = client->import(id);
    d.join();
    ASSERT_TRUE(imported);
    const uint8_t* bytes = imported->map();
    ASSERT_NE(bytes, nullptr);
    EXPECT_EQ(bytes[0], 0x40);
    EXPECT_EQ(bytes[2 * kPage], 0x42);
    for (const auto& perm : permissions_of(bytes, 3 * kPage))
        EXPECT_EQ(perm, "r--s");

    // Moving keeps the mapping.
    Import moved = std::move(*imported);
    EXPECT_EQ(moved.map(), bytes);
}

TEST(ConsumerImport, ErrorReplyFailsWithItsCode) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    int errors = 0;
    Callbacks cb;
    cb.on_error = [&](uint32_t, uint32_t, uint64_t) { ++errors; };
    client->set_callbacks(cb);
    d.run([](FakeDaemon& self) {
        auto req = self.recv();
        ASSERT_TRUE(req);
        self.send(error(VDMABUF_C_IMPORT, VDMABUF_C_ERR_UNKNOWN_BUFFER,
                        as<vdmabuf_c_import>(*req).hdr.tag));
    });
    EXPECT_FALSE(client->import(make_id(99)));
    d.join();
    EXPECT_EQ(client->last_error(), uint32_t{VDMABUF_C_ERR_UNKNOWN_BUFFER});
    EXPECT_EQ(client->dispatch(), 0); // the answering ERROR is not also an event
    EXPECT_EQ(errors, 0);
}

// A reply that does not add up fails the import at once, and every fd that
// came with it is closed.
void expect_bad_reply_rejected(const std::function<Bytes(uint64_t tag)>& make, int fds_to_send) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    GuestRam ram = make_guest_ram(4, 1);
    const size_t baseline = open_fd_count();
    d.run([&](FakeDaemon& self) {
        auto req = self.recv();
        ASSERT_TRUE(req);
        std::vector<int> fds(static_cast<size_t>(fds_to_send), ram.ro.get());
        self.send_fds(make(as<vdmabuf_c_import>(*req).hdr.tag), fds);
    });
    EXPECT_FALSE(client->import(make_id(4), 5000));
    d.join();
    EXPECT_EQ(client->dropped_packets(), 1u);
    EXPECT_EQ(open_fd_count(), baseline);
    EXPECT_TRUE(client->connected());
}

TEST(ConsumerImport, MalformedRepliesAreRejected) {
    const auto id = make_id(4);
    // n_fds says 2, one fd sent
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            return import_reply(id, VDMABUF_IMPORT_MEMFD, 2, {extent(0, 0, 1), extent(1, 0, 1)},
                                tag);
        },
        1);
    // n_fds says 1, two sent
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            return import_reply(id, VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)}, tag);
        },
        2);
    // extent names fd 1 of 1
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            return import_reply(id, VDMABUF_IMPORT_MEMFD, 1, {extent(1, 0, 1)}, tag);
        },
        1);
    // unaligned extent
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            auto e = extent(0, 0, 1);
            e.offset = 100;
            return import_reply(id, VDMABUF_IMPORT_MEMFD, 1, {e}, tag);
        },
        1);
    // size disagrees with the extents
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            auto b = import_reply(id, VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)}, tag);
            b[41] = 0x20; // size 0x1000 -> 0x2000
            return b;
        },
        1);
    // n_extents larger than the packet
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            auto b = import_reply(id, VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)}, tag);
            b[48] = 2;
            return b;
        },
        1);
    // another buffer's reply
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            return import_reply(make_id(5), VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)}, tag);
        },
        1);
    // DMABUF mode must be one whole fd
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            return import_reply(id, VDMABUF_IMPORT_DMABUF, 1, {extent(0, 0, 1), extent(0, 2, 1)},
                                tag);
        },
        1);
    // writable granted to an IMPORT that did not ask for it (flags at byte 52)
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            auto b = import_reply(id, VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)}, tag);
            b[52] = VDMABUF_C_IMPORT_WRITABLE;
            return b;
        },
        1);
    // unknown flag bits
    expect_bad_reply_rejected(
        [&](uint64_t tag) {
            auto b = import_reply(id, VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)}, tag);
            b[52] = 0x80;
            return b;
        },
        1);
}

TEST(ConsumerImport, LateReplyAfterTimeoutIsDroppedAndItsFdsClosed) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    GuestRam ram = make_guest_ram(1, 1);
    const size_t baseline = open_fd_count();
    EXPECT_FALSE(client->import(make_id(4), 30)); // the daemon is silent
    auto req = d.recv();
    ASSERT_TRUE(req);
    ASSERT_TRUE(d.send(import_reply(make_id(4), VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)},
                                    as<vdmabuf_c_import>(*req).hdr.tag),
                       {ram.ro.get()}));
    ASSERT_TRUE(client->wait(1000));
    EXPECT_EQ(client->dispatch(), 0);
    EXPECT_EQ(client->dropped_packets(), 1u);
    EXPECT_EQ(open_fd_count(), baseline);
}

TEST(ConsumerImport, ImportFromACallbackKeepsOrder) {
    FakeDaemon d;
    auto client = d.connect_viewer();
    ASSERT_NE(client, nullptr);
    GuestRam ram = make_guest_ram(1, 9);
    std::vector<std::string> log;
    std::optional<Import> kept;
    Callbacks cb;
    cb.on_buffer_new = [&](const BufferInfo& b) {
        log.push_back("new " + std::to_string(b.id.counter));
        kept = client->import(b.id);
        log.push_back(kept ? "imported" : "import failed");
    };
    cb.on_present = [&](const PresentEvent& p) {
        log.push_back("present " + std::to_string(p.sequence));
    };
    client->set_callbacks(cb);

    d.run([&](FakeDaemon& self) {
        self.send(buffer_new(make_id(1), 32, 32, 4096));
        auto req = self.recv();
        ASSERT_TRUE(req);
        self.send(present(make_id(1), 1)); // arrives during the import
        self.send(import_reply(make_id(1), VDMABUF_IMPORT_MEMFD, 1, {extent(0, 0, 1)},
                               as<vdmabuf_c_import>(*req).hdr.tag),
                  {ram.ro.get()});
        self.send(present(make_id(1), 2)); // after it
    });
    ASSERT_TRUE(client->wait(1000));
    while (log.size() < 4) {
        ASSERT_GE(client->dispatch(), 0);
        if (log.size() < 4) {
            ASSERT_TRUE(client->wait(1000));
        }
    }
    d.join();
    EXPECT_EQ(log, (std::vector<std::string>{"new 1", "imported", "present 1", "present 2"}));
    ASSERT_TRUE(kept);
    ASSERT_NE(kept->map(), nullptr);
    EXPECT_EQ(kept->map()[0], 9);
}

} // namespace
} // namespace vdmabuf::consumer::test

namespace vdmabuf::consumer::test {
namespace {

// Found by fuzz/consumer_client (regression seed crash-extent-beyond-eof): an
// IMPORT_REPLY naming pages past the end of its fd mapped fine, and the first
// read of them killed the viewer with SIGBUS. map() now refuses it.
TEST(ConsumerImport, ExtentBeyondTheEndOfItsFdIsNotMapped) {
    auto make = [](uint64_t offset) {
        UniqueFd fd{::memfd_create("import-eof", MFD_CLOEXEC)};
        EXPECT_TRUE(fd);
        EXPECT_EQ(::ftruncate(fd.get(), 8192), 0);
        std::vector<UniqueFd> fds;
        fds.push_back(std::move(fd));
        return Import(vdmabuf_id{1, 1, 1}, VDMABUF_IMPORT_MEMFD, 8192, std::move(fds),
                      {vdmabuf_c_import_extent{0, 0, offset, 8192}});
    };
    Import inside = make(0);
    const uint8_t* bytes = inside.map();
    ASSERT_NE(bytes, nullptr);
    EXPECT_EQ(bytes[8191], 0);
    Import beyond = make(4096);
    EXPECT_EQ(beyond.map(), nullptr);
}

} // namespace
} // namespace vdmabuf::consumer::test
