// libvdmabuf-guest: the guest side of the vdmabuf device (protocols/vdmabuf-device.md),
// used by the guest compositor. One interface, two implementations: virtio-user (this
// process plays the vhost-user front-end and the guest driver over a vdmabufd socket)
// and the kernel driver's /dev/virtio-vdmabuf (protocols/vdmabuf-kernel-uapi.md).
//
// Requests are asynchronous: a call queues one request and returns; its failure comes
// back through Callbacks::on_error with the request's tag. Not thread-safe: use one
// Device from one thread. Callbacks run inside dispatch() and may queue requests;
// only on_lost may destroy the Device (dispatch() touches nothing after it).
#pragma once

#include <vdmabuf/frontend/allocation.hpp>
#include <vdmabuf/shared/busy_poll.hpp>

#include "vdmabuf_wire.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace vdmabuf::frontend {

// Every device feature this library knows (protocols/vdmabuf-device.md §2).
inline constexpr uint64_t kAllFeatures = (1ull << VDMABUF_F_INPUT) | (1ull << VDMABUF_F_MODE) |
                                         (1ull << VDMABUF_F_CURSOR) | (1ull << VDMABUF_F_HOTPLUG);

struct DeviceOptions {
    std::string name = "guest0";      // HELLO name: printable ASCII, <= 32 bytes
    uint64_t memory_size = 256 << 20; // virtio-user: guest memory (memfd) bytes
    bool scattered = false;           // virtio-user: buffers in many small extents (tests)
    uint32_t queue_size = 256;        // virtio-user: both queues, power of two
    int hello_timeout_ms = 2000;      // handshake + HELLO deadline
    // Device features to request (bits 1 << VDMABUF_F_*); the device enables those it
    // also offers (Device::features()). Unknown bits are not requested.
    uint64_t features = kAllFeatures;
    // virtio-user: when the back-end offers CONFIGURE_MEM_SLOTS (and at least 2 slots),
    // register the memory as QEMU does then: ADD_MEM_REG per region instead of one
    // SET_MEM_TABLE. The memfd goes in two regions: the rings, request slots and event
    // buffers, then the buffer pages (so every buffer lies in a region of its own).
    // Falls back to SET_MEM_TABLE when the back-end does not offer it.
    bool add_mem_reg = false;
    // Device::wait()'s busy-poll budget in µs (0 = off); -1: VDMABUF_BUSY_POLL_US,
    // else BusyPoll::kDefaultBudgetUs.
    int busy_poll_us = -1;
};

// INPUT event (§8.3), host byte order, validated. kind: enum vdmabuf_input_kind; a..d
// as the spec says for that kind (AXIS c and d are int32 bit patterns).
struct InputEvent {
    uint32_t output = 0;
    uint32_t kind = 0;
    uint64_t time_ns = 0; // host CLOCK_MONOTONIC
    uint32_t a = 0, b = 0, c = 0, d = 0;
};

struct Callbacks {
    std::function<void(const vdmabuf_id& id, uint64_t sequence, uint32_t output,
                       uint32_t reason)>
        on_release;
    std::function<void(uint32_t output)> on_refresh; // VDMABUF_OUTPUT_ALL: every output
    // error_code: a VDMABUF_RESP_ERR_* code, or 0 when the device answered with no valid
    // response at all (chain returned with length 0, garbage, wrong tag).
    std::function<void(uint32_t request_type, uint32_t error_code, uint64_t tag)> on_error;
    std::function<void()> on_lost; // once; then every call fails with ENOTCONN
    // Only for negotiated features (the device sends nothing else); each event was
    // validated first (bad ones are counted in DeviceCounters::events_invalid and dropped).
    std::function<void(const InputEvent&)> on_input;                              // F_INPUT
    std::function<void(std::string_view layout, std::string_view variant)> on_keymap; // F_INPUT
    std::function<void(uint32_t output, uint32_t width, uint32_t height, uint32_t refresh_mhz)>
        on_mode; // F_MODE: answer with announce_output() (now or never)
    std::function<void(uint32_t output, bool connected, uint32_t width, uint32_t height,
                       uint32_t refresh_mhz)>
        on_hotplug; // F_HOTPLUG: answer with announce_output()
};

struct BufferDesc {
    uint32_t fourcc = 0;
    uint32_t width = 0;
    uint32_t height = 0;
    uint64_t modifier = 0;
    uint32_t n_planes = 1;
    vdmabuf_plane planes[VDMABUF_MAX_PLANES]{};
};

struct DeviceCounters {
    uint64_t requests_sent = 0;
    uint64_t responses_ok = 0;
    uint64_t responses_error = 0;   // well-formed error responses
    uint64_t responses_invalid = 0; // no or malformed response
    uint64_t events_received = 0;   // every used eventq buffer
    uint64_t releases = 0;
    uint64_t refreshes = 0;
    uint64_t events_unknown = 0; // well-formed, type not known: ignored
    uint64_t events_invalid = 0; // short, wrong length, bad fields: dropped
    uint64_t inputs = 0;         // INPUT events delivered
    uint64_t keymaps = 0;
    uint64_t modes = 0;
    uint64_t hotplugs = 0;
    uint64_t kicks = 0;
    uint64_t interrupts = 0;  // call-eventfd wakeups drained
    uint64_t ring_errors = 0; // bad used-ring entries (ids, lengths, index jumps)
};

class Device {
public:
    virtual ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // "/dev/virtio-vdmabuf" (or any character device): the kernel driver, which said
    // HELLO at probe with its own name (module parameter guest_name) and features
    // (parameter features; DeviceOptions::features only narrows them); send_raw()
    // carries only OUTPUT, CURSOR_SET and CURSOR_MOVE there (else ENOTSUP) and
    // allocations have no extents(). Anything else: the path of a vdmabufd guest
    // socket, opened as virtio-user. Blocks for the handshake and HELLO (at most
    // options.hello_timeout_ms); nullptr (logged, errno set) on failure.
    [[nodiscard]] static std::unique_ptr<Device> open(const std::string& path,
                                                      const DeviceOptions& options);
    // True if open(path) takes the kernel driver (the rule above), so a caller can
    // choose what needs it (export_dmabuf) before opening.
    [[nodiscard]] static bool is_kernel_path(const std::string& path);

    virtual void set_callbacks(Callbacks callbacks) = 0;

    // Pollable fd: readable => call dispatch().
    [[nodiscard]] virtual int fd() const = 0;
    // Non-blocking. Handles responses and events and invokes the callbacks. Returns the
    // number handled, or -1 (errno ENOTCONN) once the device is lost.
    virtual int dispatch() = 0;
    // True when dispatch() has something to do (or the device is lost); waits up
    // to timeout_ms (-1: forever). After a request or an event it first busy-polls
    // for up to busy_poll_us(), so a quick answer wakes no sleeping CPU.
    bool wait(int timeout_ms);
    void set_busy_poll_us(uint32_t us) noexcept { busy_.set_budget_us(us); }
    [[nodiscard]] uint32_t busy_poll_us() const noexcept { return busy_.budget_us(); }

    // Page-rounded, not zeroed. nullptr (errno ENOMEM/EINVAL) when it does not fit.
    [[nodiscard]] virtual std::unique_ptr<Allocation> allocate(uint64_t size) = 0;

    // Each call queues one request and returns false with errno set when it could not:
    // EAGAIN (control queue full: dispatch and retry), EINVAL (arguments that cannot be
    // encoded, an Allocation of another Device), ENOTCONN (device lost). `tag`, if
    // given, receives the request's tag (echoed to on_error).
    //
    // EXPORT of the allocation's pages (size and extents from the allocation); out_id
    // gets a fresh ID. The Allocation must outlive the export (see allocation.hpp).
    [[nodiscard]] virtual bool export_buffer(const Allocation& allocation, const BufferDesc& desc,
                                             vdmabuf_id& out_id, uint64_t* tag = nullptr) = 0;
    // EXPORT of any dma-buf (e.g. a GBM buffer's fd) instead of an Allocation: only
    // the kernel driver can (interface version >= 2); it attaches and maps the
    // dma-buf and holds it until UNEXPORT, so `dmabuf_fd` may be closed after the
    // call. Other devices, older drivers: false, errno ENOTSUP. The driver's own
    // refusals: EINVAL (a plane past the end), E2BIG (too fragmented), EOPNOTSUPP
    // (not guest RAM pages).
    [[nodiscard]] virtual bool export_dmabuf(int dmabuf_fd, const BufferDesc& desc,
                                             vdmabuf_id& out_id, uint64_t* tag = nullptr);
    [[nodiscard]] virtual bool present(const vdmabuf_id& id, uint32_t output, uint64_t sequence,
                                       uint64_t guest_time_ns, std::span<const vdmabuf_rect> damage,
                                       uint64_t* tag = nullptr) = 0;
    [[nodiscard]] virtual bool unexport(const vdmabuf_id& id, uint64_t* tag = nullptr) = 0;
    // Sends `request` verbatim as one request (for malformed-message tests). `tag`
    // receives the request's own tag field (bytes 8..15), 0 if it is shorter.
    [[nodiscard]] virtual bool send_raw(std::span<const uint8_t> request, uint64_t* tag = nullptr) = 0;

    // Interactive session requests. Each needs its feature negotiated, else false with
    // errno ENOTSUP and nothing is sent; arguments past a limit are EINVAL.
    // OUTPUT (F_HOTPLUG, §6.5): an output appeared, changed mode, or went away
    // (connected = false: width, height, refresh must be 0). `name`: up to 32
    // printable ASCII bytes.
    [[nodiscard]] virtual bool announce_output(uint32_t output, bool connected, uint32_t width,
                                               uint32_t height, uint32_t refresh_mhz,
                                               std::string_view name, uint64_t* tag = nullptr) = 0;
    // CURSOR_SET (F_CURSOR, §6.6): width x height premultiplied ARGB8888, rows tightly
    // packed (argb_pixels.size() == width * height * 4); 0x0 with no pixels hides it.
    [[nodiscard]] virtual bool set_cursor(uint32_t output, uint32_t width, uint32_t height,
                                          uint32_t hotspot_x, uint32_t hotspot_y,
                                          std::span<const uint8_t> argb_pixels,
                                          uint64_t* tag = nullptr) = 0;
    // CURSOR_MOVE (F_CURSOR, §6.7): the hotspot's position in output pixels.
    [[nodiscard]] virtual bool move_cursor(uint32_t output, int32_t x, int32_t y, bool visible,
                                           uint64_t* tag = nullptr) = 0;

    [[nodiscard]] virtual uint32_t guest_id() const = 0;
    [[nodiscard]] virtual uint32_t max_buffers() const = 0;
    [[nodiscard]] virtual const std::string& name() const = 0;
    [[nodiscard]] virtual bool connected() const = 0;
    [[nodiscard]] virtual DeviceCounters counters() const = 0;
    // The negotiated device features (bits 1 << VDMABUF_F_*), fixed after open().
    [[nodiscard]] virtual uint64_t features() const = 0;

protected:
    Device() = default;

private:
    BusyPoll busy_;
    uint64_t requests_seen_ = 0; // counters().requests_sent at the last wait()
};

} // namespace vdmabuf::frontend
