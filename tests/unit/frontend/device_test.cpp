// VirtioUserDevice end to end against FakeBackend: handshake, HELLO, requests, events
// (valid and hostile), errors, loss of the back-end, and open() failures.
#include "fake_backend.hpp"

#include <vdmabuf/frontend/device.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <poll.h>

namespace vdmabuf::frontend {
namespace {

using test::FakeBackend;
using test::FakeBackendOptions;

struct Recorder {
    std::vector<vdmabuf_evt_release> releases;
    std::vector<uint32_t> refreshes;
    std::vector<std::array<uint64_t, 3>> errors; // request, code, tag
    int lost = 0;

    Callbacks callbacks() {
        return {[this](const vdmabuf_id& id, uint64_t seq, uint32_t output, uint32_t reason) {
                    releases.push_back({{}, id, seq, output, reason});
                },
                [this](uint32_t output) { refreshes.push_back(output); },
                [this](uint32_t req, uint32_t code, uint64_t tag) {
                    errors.push_back({req, code, tag});
                },
                [this] { ++lost; }};
    }
};

// Dispatches until pred() holds or 2 s pass.
template <typename Pred>
bool pump_until(Device& dev, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        pollfd p{dev.fd(), POLLIN, 0};
        ::poll(&p, 1, 20);
        if (dev.dispatch() < 0)
            return pred();
    }
    return true;
}

DeviceOptions small_options(bool scattered = false) {
    DeviceOptions o;
    o.memory_size = 16 << 20;
    o.queue_size = 64;
    o.scattered = scattered;
    return o;
}

std::vector<uint8_t> bytes_of(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    return {b, b + n};
}

class DeviceTest : public ::testing::Test {
protected:
    void SetUp() override {
        dev_ = Device::open(backend_.path(), small_options());
        ASSERT_TRUE(dev_);
        dev_->set_callbacks(rec_.callbacks());
    }
    FakeBackend backend_;
    Recorder rec_;
    std::unique_ptr<Device> dev_;
};

TEST_F(DeviceTest, HelloGivesTheSession) {
    EXPECT_TRUE(dev_->connected());
    EXPECT_EQ(dev_->guest_id(), test::kFakeGuest);
    EXPECT_EQ(dev_->max_buffers(), 64u);
    EXPECT_EQ(dev_->name(), "guest0");
    EXPECT_GE(dev_->dispatch(), 0);
}

TEST_F(DeviceTest, ExportPresentReleaseUnexport) {
    auto a = dev_->allocate(64 * 64 * 4);
    ASSERT_TRUE(a);
    std::memset(a->data(), 1, a->size());
    BufferDesc desc;
    desc.fourcc = 0x34325258; // XR24
    desc.width = desc.height = 64;
    desc.planes[0] = {0, 256};
    vdmabuf_id id{};
    uint64_t tag = 0;
    ASSERT_TRUE(dev_->export_buffer(*a, desc, id, &tag));
    EXPECT_EQ(id.guest, test::kFakeGuest);
    EXPECT_EQ(id.key, test::kFakeKey);
    EXPECT_NE(id.counter, 0u);
    const vdmabuf_rect damage{0, 0, 8, 8};
    ASSERT_TRUE(dev_->present(id, 2, 1, 123, {&damage, 1}, &tag));
    ASSERT_TRUE(pump_until(*dev_, [&] { return !rec_.releases.empty(); }));
    EXPECT_EQ(rec_.releases[0].id.counter, id.counter);
    EXPECT_EQ(rec_.releases[0].sequence, 1u);
    EXPECT_EQ(rec_.releases[0].output, 2u);
    ASSERT_TRUE(dev_->unexport(id, &tag));
    ASSERT_TRUE(pump_until(*dev_, [&] { return dev_->counters().responses_ok >= 4; }));
    const auto exports = backend_.exports();
    ASSERT_EQ(exports.size(), 1u);
    EXPECT_EQ(exports[0].n_extents, 1u);
    EXPECT_EQ(exports[0].size, a->size());
    EXPECT_EQ(exports[0].checksum, a->size()); // the host read our bytes, in place
    EXPECT_TRUE(rec_.errors.empty());
    const DeviceCounters c = dev_->counters();
    EXPECT_EQ(c.requests_sent, 4u); // HELLO, EXPORT, PRESENT, UNEXPORT
    EXPECT_EQ(c.releases, 1u);
    EXPECT_EQ(c.ring_errors, 0u);
}

TEST_F(DeviceTest, WaitReturnsForTheAnswerAndTimesOutWhenThereIsNone) {
    // Busy-polling on (the budget comes from DeviceOptions, else the environment).
    EXPECT_EQ(dev_->busy_poll_us(), BusyPoll::budget_from_env());
    dev_->set_busy_poll_us(200);
    auto a = dev_->allocate(64 * 64 * 4);
    ASSERT_TRUE(a);
    BufferDesc desc;
    desc.fourcc = 0x34325258; // XR24
    desc.width = desc.height = 64;
    desc.planes[0] = {0, 256};
    vdmabuf_id id{};
    ASSERT_TRUE(dev_->export_buffer(*a, desc, id));
    ASSERT_TRUE(dev_->present(id, 0, 1, 0, {}));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (rec_.releases.empty() && std::chrono::steady_clock::now() < deadline) {
        if (dev_->wait(1000)) {
            ASSERT_GE(dev_->dispatch(), 0);
        }
    }
    ASSERT_EQ(rec_.releases.size(), 1u);
    // Nothing more to come: the wait spins at most its budget, then times out.
    while (dev_->wait(0)) {
        ASSERT_GE(dev_->dispatch(), 0);
    }
    EXPECT_FALSE(dev_->wait(20));
}

TEST(DeviceOpen, BusyPollBudgetFromOptions) {
    FakeBackend backend;
    DeviceOptions o = small_options();
    o.busy_poll_us = 0;
    auto dev = Device::open(backend.path(), o);
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->busy_poll_us(), 0u);
}

TEST(DeviceScattered, ExportSendsManyExtents) {
    FakeBackend backend;
    auto dev = Device::open(backend.path(), small_options(true));
    ASSERT_TRUE(dev);
    auto a = dev->allocate(100 * 4096);
    ASSERT_TRUE(a);
    for (uint64_t i = 0; i < a->size(); ++i)
        a->data()[i] = static_cast<uint8_t>(i);
    uint64_t expect = 0;
    for (uint64_t i = 0; i < a->size(); ++i)
        expect += static_cast<uint8_t>(i);
    BufferDesc desc;
    vdmabuf_id id{};
    ASSERT_TRUE(dev->export_buffer(*a, desc, id));
    ASSERT_TRUE(pump_until(*dev, [&] { return dev->counters().responses_ok >= 2; }));
    const auto exports = backend.exports();
    ASSERT_EQ(exports.size(), 1u);
    EXPECT_EQ(exports[0].n_extents, a->extents().size());
    EXPECT_GT(exports[0].n_extents, 50u);
    EXPECT_EQ(exports[0].checksum, expect);
}

TEST_F(DeviceTest, ErrorsReachOnErrorWithTheTag) {
    uint8_t junk[32] = {};
    vdmabuf_hdr h{0x0199, 0, 4242};
    std::memcpy(junk, &h, sizeof h);
    uint64_t tag = 0;
    ASSERT_TRUE(dev_->send_raw(junk, &tag));
    EXPECT_EQ(tag, 4242u);
    ASSERT_TRUE(pump_until(*dev_, [&] { return !rec_.errors.empty(); }));
    EXPECT_EQ(rec_.errors[0][0], 0x0199u);
    EXPECT_EQ(rec_.errors[0][1], uint64_t{VDMABUF_RESP_ERR_MALFORMED});
    EXPECT_EQ(rec_.errors[0][2], 4242u);
}

TEST_F(DeviceTest, HostileEventsAreDroppedAndCounted) {
    vdmabuf_evt_release r{};
    r.hdr.type = VDMABUF_EVT_RELEASE;
    r.id = {test::kFakeGuest, 1, test::kFakeKey ^ 1}; // another session's key
    backend_.inject_event(bytes_of(&r, sizeof r), sizeof r);
    r.id.key = test::kFakeKey;
    backend_.inject_event(bytes_of(&r, sizeof r), 10); // short
    vdmabuf_hdr unknown{0x2110, 0, 0};
    backend_.inject_event(bytes_of(&unknown, sizeof unknown), 40);
    backend_.inject_event(bytes_of(&r, sizeof r), 0);
    vdmabuf_evt_refresh f{{VDMABUF_EVT_REFRESH, 0, 0}, VDMABUF_OUTPUT_ALL, 0};
    backend_.inject_event(bytes_of(&f, sizeof f), sizeof f);
    ASSERT_TRUE(pump_until(*dev_, [&] { return dev_->counters().events_received >= 5; }));
    const DeviceCounters c = dev_->counters();
    EXPECT_EQ(c.events_invalid, 3u);
    EXPECT_EQ(c.events_unknown, 1u);
    EXPECT_EQ(c.refreshes, 1u);
    EXPECT_TRUE(rec_.releases.empty());
    ASSERT_EQ(rec_.refreshes.size(), 1u);
    EXPECT_EQ(rec_.refreshes[0], VDMABUF_OUTPUT_ALL);
    EXPECT_TRUE(dev_->connected());
}

TEST_F(DeviceTest, ManyEventsKeepTheQueueStocked) {
    vdmabuf_evt_refresh f{{VDMABUF_EVT_REFRESH, 0, 0}, 1, 0};
    for (int i = 0; i < 200; ++i) // > queue size: needs re-posting to get through
        backend_.inject_event(bytes_of(&f, sizeof f), sizeof f);
    ASSERT_TRUE(pump_until(*dev_, [&] { return rec_.refreshes.size() >= 200; }));
}

TEST_F(DeviceTest, LostWhenTheBackendGoes) {
    auto a = dev_->allocate(4096);
    ASSERT_TRUE(a);
    backend_.disconnect();
    ASSERT_TRUE(pump_until(*dev_, [&] { return rec_.lost > 0; }));
    EXPECT_EQ(rec_.lost, 1);
    EXPECT_FALSE(dev_->connected());
    errno = 0;
    EXPECT_EQ(dev_->dispatch(), -1);
    EXPECT_EQ(errno, ENOTCONN);
    vdmabuf_id id{};
    EXPECT_FALSE(dev_->present(id, 0, 1, 0, {}));
    EXPECT_EQ(errno, ENOTCONN);
    EXPECT_FALSE(dev_->export_buffer(*a, BufferDesc{}, id));
    EXPECT_EQ(rec_.lost, 1);
    a->data()[0] = 1; // still mapped
}

TEST_F(DeviceTest, RefusesAnotherDevicesAllocation) {
    FakeBackend other_backend;
    auto other = Device::open(other_backend.path(), small_options());
    ASSERT_TRUE(other);
    auto a = other->allocate(4096);
    ASSERT_TRUE(a);
    vdmabuf_id id{};
    errno = 0;
    EXPECT_FALSE(dev_->export_buffer(*a, BufferDesc{}, id));
    EXPECT_EQ(errno, EINVAL);
}

// Only the kernel driver exports arbitrary dma-bufs; virtio-user says so.
TEST_F(DeviceTest, ExportDmabufIsKernelOnly) {
    vdmabuf_id id{};
    const uint64_t sent = dev_->counters().requests_sent;
    errno = 0;
    EXPECT_FALSE(dev_->export_dmabuf(0, BufferDesc{}, id));
    EXPECT_EQ(errno, ENOTSUP);
    EXPECT_EQ(dev_->counters().requests_sent, sent);
}

TEST_F(DeviceTest, FullControlQueueSaysEagain) {
    vdmabuf_id id{test::kFakeGuest, 1, test::kFakeKey};
    int sent = 0;
    while (dev_->present(id, 0, static_cast<uint64_t>(sent) + 1, 0, {}) && sent < 1000)
        ++sent;
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_GT(sent, 0);
    EXPECT_LE(sent, 32); // queue 64: 32 two-descriptor chains
    ASSERT_TRUE(pump_until(*dev_, [&] { return dev_->counters().responses_ok >= 1u + sent; }));
    EXPECT_TRUE(dev_->present(id, 0, 5000, 0, {}));
}

TEST(DeviceOpen, HelloTimeout) {
    FakeBackendOptions o;
    o.answer_hello = false;
    FakeBackend backend(o);
    DeviceOptions opts = small_options();
    opts.hello_timeout_ms = 200;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(Device::open(backend.path(), opts));
    EXPECT_EQ(errno, ETIMEDOUT);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// DeviceOptions::add_mem_reg with a back-end that does not offer CONFIGURE_MEM_SLOTS
// (this fake one): the memory goes in one SET_MEM_TABLE as usual.
TEST(DeviceOpen, AddMemRegFallsBackToSetMemTable) {
    FakeBackend backend;
    DeviceOptions opts = small_options();
    opts.add_mem_reg = true;
    auto dev = Device::open(backend.path(), opts);
    ASSERT_TRUE(dev);
    EXPECT_TRUE(dev->connected());
    EXPECT_EQ(dev->guest_id(), test::kFakeGuest);
}

TEST(DeviceOpen, BackendRefusal) {
    FakeBackendOptions o;
    o.refuse_mem_table = true;
    FakeBackend backend(o);
    EXPECT_FALSE(Device::open(backend.path(), small_options()));
}

TEST(DeviceOpen, BadArguments) {
    FakeBackend backend;
    DeviceOptions o = small_options();
    o.name = "has space";
    EXPECT_FALSE(Device::open(backend.path(), o));
    o = small_options();
    o.queue_size = 100;
    EXPECT_FALSE(Device::open(backend.path(), o));
    EXPECT_FALSE(Device::open("/nonexistent/guest.sock", small_options()));
}

// Character devices go to the kernel frontend (KernelDevice); the driver itself only
// runs in the VM lane (tests/vm). A character device that is not the driver fails
// its INFO ioctl.
TEST(DeviceOpen, CharacterDevicesGoToTheKernelDriver) {
    EXPECT_TRUE(Device::is_kernel_path("/dev/null"));
    EXPECT_TRUE(Device::is_kernel_path("/dev/virtio-vdmabuf")); // even before it exists
    EXPECT_FALSE(Device::is_kernel_path("/nonexistent/guest.sock"));
    EXPECT_FALSE(Device::is_kernel_path("/tmp"));
    errno = 0;
    EXPECT_FALSE(Device::open("/dev/null", DeviceOptions{}));
    EXPECT_EQ(errno, ENODEV);
    struct stat st{};
    if (::stat("/dev/virtio-vdmabuf", &st) != 0) {
        errno = 0;
        EXPECT_FALSE(Device::open("/dev/virtio-vdmabuf", DeviceOptions{}));
        EXPECT_EQ(errno, ENOENT);
    }
}

} // namespace
} // namespace vdmabuf::frontend
