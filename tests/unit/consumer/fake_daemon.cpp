#include "fake_daemon.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vdmabuf::consumer::test {

namespace {
vdmabuf_c_hdr hdr_of(uint32_t type, size_t size, uint64_t tag) {
    vdmabuf_c_hdr h{};
    h.type = type;
    h.size = static_cast<uint32_t>(size);
    h.tag = tag;
    return h;
}
} // namespace

vdmabuf_id make_id(uint32_t counter) {
    vdmabuf_id id{};
    id.guest = 3;
    id.counter = counter;
    id.key = 0x1122334455667788ull;
    return id;
}

Bytes welcome(uint32_t consumer, uint32_t mode, uint64_t tag, uint32_t release_timeout_ms) {
    vdmabuf_c_welcome m{};
    // 0: the original 32-byte WELCOME, from a daemon that does not say.
    const size_t len = release_timeout_ms ? sizeof m : offsetof(vdmabuf_c_welcome, release_timeout_ms);
    m.hdr = hdr_of(VDMABUF_C_WELCOME, uint32_t(len), tag);
    m.magic = VDMABUF_CONSUMER_MAGIC;
    m.version = VDMABUF_CONSUMER_VERSION;
    m.consumer = consumer;
    m.import_mode = mode;
    m.release_timeout_ms = release_timeout_ms;
    Bytes b = bytes_of(m);
    b.resize(len);
    return b;
}

Bytes guest(uint32_t type, uint32_t guest_id, const char* name) {
    vdmabuf_c_guest m{};
    m.hdr = hdr_of(type, sizeof m, 0);
    m.guest = guest_id;
    std::memcpy(m.name, name, std::min<size_t>(std::strlen(name), sizeof m.name));
    return bytes_of(m);
}

Bytes buffer_new(const vdmabuf_id& id, uint32_t width, uint32_t height, uint64_t size) {
    vdmabuf_c_buffer_new m{};
    m.hdr = hdr_of(VDMABUF_C_BUFFER_NEW, sizeof m, 0);
    m.id = id;
    m.fourcc = 0x34325258; // XR24
    m.width = width;
    m.height = height;
    m.n_planes = 1;
    m.planes[0].offset = 0;
    m.planes[0].stride = width * 4;
    m.size = size;
    return bytes_of(m);
}

Bytes present(const vdmabuf_id& id, uint64_t sequence, uint32_t n_damage, uint32_t output) {
    vdmabuf_c_present m{};
    m.hdr = hdr_of(VDMABUF_C_PRESENT, sizeof m, 0);
    m.id = id;
    m.output = output;
    m.n_damage = n_damage;
    m.sequence = sequence;
    m.guest_time_ns = sequence * 1000;
    m.host_time_ns = sequence * 1000 + 7;
    for (uint32_t i = 0; i < VDMABUF_MAX_DAMAGE && i < n_damage; ++i)
        m.damage[i] = vdmabuf_rect{i, i + 1, 10 + i, 20 + i};
    return bytes_of(m);
}

Bytes buffer_gone(const vdmabuf_id& id) {
    vdmabuf_c_buffer_gone m{};
    m.hdr = hdr_of(VDMABUF_C_BUFFER_GONE, sizeof m, 0);
    m.id = id;
    return bytes_of(m);
}

Bytes error(uint32_t request, uint32_t code, uint64_t tag) {
    vdmabuf_c_error m{};
    m.hdr = hdr_of(VDMABUF_C_ERROR, sizeof m, tag);
    m.request = request;
    m.code = code;
    return bytes_of(m);
}

Bytes import_reply(const vdmabuf_id& id, uint32_t mode, uint32_t n_fds,
                   const std::vector<vdmabuf_c_import_extent>& extents, uint64_t tag) {
    vdmabuf_c_import_reply m{};
    size_t size = sizeof m + extents.size() * sizeof(vdmabuf_c_import_extent);
    m.hdr = hdr_of(VDMABUF_C_IMPORT_REPLY, size, tag);
    m.id = id;
    m.mode = mode;
    m.n_fds = n_fds;
    for (const auto& e : extents)
        m.size += e.len;
    m.n_extents = static_cast<uint32_t>(extents.size());
    Bytes b = bytes_of(m);
    b.resize(size);
    if (!extents.empty())
        std::memcpy(b.data() + sizeof m, extents.data(),
                    extents.size() * sizeof(vdmabuf_c_import_extent));
    return b;
}

Bytes stats_reply(uint32_t format, const std::string& text, uint64_t tag) {
    vdmabuf_c_stats_reply m{};
    m.hdr = hdr_of(VDMABUF_C_STATS_REPLY, sizeof m + text.size(), tag);
    m.format = format;
    m.length = static_cast<uint32_t>(text.size());
    Bytes b = bytes_of(m);
    b.resize(sizeof m + text.size());
    if (!text.empty())
        std::memcpy(b.data() + sizeof m, text.data(), text.size());
    return b;
}

FakeDaemon::FakeDaemon() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        ADD_FAILURE() << "socketpair failed: " << std::strerror(errno);
    sock_.reset(sv[0]);
    client_end_.reset(sv[1]);
}

FakeDaemon::~FakeDaemon() {
    join();
}

bool FakeDaemon::send(const Bytes& packet, std::initializer_list<int> fds) {
    return send_fds(packet, std::vector<int>(fds));
}

bool FakeDaemon::send_fds(const Bytes& packet, const std::vector<int>& fds) {
    iovec iov{const_cast<uint8_t*>(packet.data()), packet.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    std::vector<unsigned char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    if (!fds.empty()) {
        mh.msg_control = control.data();
        mh.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = ::sendmsg(sock_.get(), &mh, MSG_NOSIGNAL);
    return n == static_cast<ssize_t>(packet.size());
}

std::optional<Bytes> FakeDaemon::recv(int timeout_ms) {
    pollfd pfd{sock_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0)
        return std::nullopt;
    Bytes b(VDMABUF_CONSUMER_MAX_MESSAGE);
    ssize_t n = ::recv(sock_.get(), b.data(), b.size(), MSG_DONTWAIT);
    if (n <= 0)
        return std::nullopt;
    b.resize(static_cast<size_t>(n));
    return b;
}

void FakeDaemon::run(std::function<void(FakeDaemon&)> script) {
    join();
    thread_ = std::thread([this, s = std::move(script)] { s(*this); });
}

void FakeDaemon::join() {
    if (thread_.joinable())
        thread_.join();
}

std::unique_ptr<Client> FakeDaemon::connect_viewer(uint32_t mode) {
    EXPECT_TRUE(send(welcome(42, mode)));
    auto client = Client::adopt(take_client_end(), VDMABUF_ROLE_VIEWER);
    auto hello = recv();
    EXPECT_TRUE(hello.has_value());
    if (hello) {
        auto h = as<vdmabuf_c_hello>(*hello);
        EXPECT_EQ(h.hdr.type, VDMABUF_C_HELLO);
        EXPECT_EQ(h.hdr.size, sizeof h);
    }
    return client;
}

size_t open_fd_count() {
    size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d)
        return 0;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.')
            ++n;
    ::closedir(d);
    return n - 1; // the DIR's own fd
}

GuestRam make_guest_ram(size_t n_pages, uint8_t seed) {
    GuestRam ram;
    ram.size = n_pages * VDMABUF_PAGE_SIZE;
    ram.rw.reset(::memfd_create("guest-ram", MFD_CLOEXEC));
    EXPECT_TRUE(ram.rw);
    EXPECT_EQ(::ftruncate(ram.rw.get(), static_cast<off_t>(ram.size)), 0);
    std::vector<uint8_t> page(VDMABUF_PAGE_SIZE);
    for (size_t p = 0; p < n_pages; ++p) {
        std::fill(page.begin(), page.end(), static_cast<uint8_t>(seed + p));
        EXPECT_EQ(::pwrite(ram.rw.get(), page.data(), page.size(),
                           static_cast<off_t>(p * VDMABUF_PAGE_SIZE)),
                  static_cast<ssize_t>(page.size()));
    }
    std::string self = "/proc/self/fd/" + std::to_string(ram.rw.get());
    ram.ro.reset(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(ram.ro);
    return ram;
}

} // namespace vdmabuf::consumer::test
