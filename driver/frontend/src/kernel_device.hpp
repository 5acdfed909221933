// Device implementation over the kernel driver's /dev/virtio-vdmabuf
// (protocols/vdmabuf-kernel-uapi.md). The driver did HELLO at probe; each request is
// one ioctl that returns the device's answer, so a refusal is queued here and reported
// through on_error at the next dispatch(), like the virtio-user device's responses.
// fd() is an epoll fd over the device node (events) and an eventfd (queued errors).
#pragma once

#include <vdmabuf/frontend/device.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include "vdmabuf_uapi.h"

#include <memory>
#include <string>
#include <vector>

namespace vdmabuf::frontend {

class KernelDevice final : public Device {
public:
    // Opens the device node and reads INFO; nullptr (logged, errno set) on failure.
    [[nodiscard]] static std::unique_ptr<KernelDevice> open(const std::string& path,
                                                            const DeviceOptions& options);

    void set_callbacks(Callbacks callbacks) override { callbacks_ = std::move(callbacks); }
    [[nodiscard]] int fd() const override { return epoll_.get(); }
    int dispatch() override;
    [[nodiscard]] std::unique_ptr<Allocation> allocate(uint64_t size) override;
    [[nodiscard]] bool export_buffer(const Allocation& allocation, const BufferDesc& desc,
                                     vdmabuf_id& out_id, uint64_t* tag) override;
    // Any dma-buf (driver interface version >= 2).
    [[nodiscard]] bool export_dmabuf(int dmabuf_fd, const BufferDesc& desc, vdmabuf_id& out_id,
                                     uint64_t* tag) override;
    [[nodiscard]] bool present(const vdmabuf_id& id, uint32_t output, uint64_t sequence,
                               uint64_t guest_time_ns, std::span<const vdmabuf_rect> damage,
                               uint64_t* tag) override;
    [[nodiscard]] bool unexport(const vdmabuf_id& id, uint64_t* tag) override;
    // Only the requests SEND carries (OUTPUT, CURSOR_SET, CURSOR_MOVE); else ENOTSUP.
    [[nodiscard]] bool send_raw(std::span<const uint8_t> request, uint64_t* tag) override;
    // Through SEND (driver interface version >= 3): the features the driver's HELLO
    // negotiated, narrowed by DeviceOptions::features; ENOTSUP without the feature.
    [[nodiscard]] bool announce_output(uint32_t output, bool connected, uint32_t width,
                                       uint32_t height, uint32_t refresh_mhz, std::string_view name,
                                       uint64_t* tag) override;
    [[nodiscard]] bool set_cursor(uint32_t output, uint32_t width, uint32_t height,
                                  uint32_t hotspot_x, uint32_t hotspot_y,
                                  std::span<const uint8_t> argb_pixels, uint64_t* tag) override;
    [[nodiscard]] bool move_cursor(uint32_t output, int32_t x, int32_t y, bool visible,
                                   uint64_t* tag) override;
    [[nodiscard]] uint64_t features() const override { return features_; }

    [[nodiscard]] uint32_t guest_id() const override { return info_.guest; }
    [[nodiscard]] uint32_t max_buffers() const override { return info_.max_buffers; }
    [[nodiscard]] const std::string& name() const override { return name_; }
    [[nodiscard]] bool connected() const override { return connected_; }
    [[nodiscard]] DeviceCounters counters() const override { return counters_; }

private:
    struct Failure {
        uint32_t request_type;
        uint32_t code;
        uint64_t tag;
    };

    KernelDevice() = default;
    [[nodiscard]] bool usable();
    [[nodiscard]] bool export_fd(int dmabuf_fd, const BufferDesc& desc, vdmabuf_id& out_id,
                                 uint64_t* tag);
    // Books one answered ioctl: counts it, queues a refusal. `status` is 0 for a
    // refusal the driver made itself (mapped to `local_code`).
    void answered(uint32_t request_type, uint32_t status, uint64_t tag);
    // Maps the errno of a failed ioctl: ENODEV loses the device; ENOENT and EBUSY are
    // the device's INVALID_ID / IN_USE decided locally, queued as such (returns true).
    [[nodiscard]] bool local_refusal(uint32_t request_type, uint64_t tag);
    void handle_event(const vdmabuf_uapi_event& ev);
    [[nodiscard]] bool has_feature(unsigned bit);
    // One SEND of head + tail (the request's bytes, tag filled in here).
    [[nodiscard]] bool send(std::span<const uint8_t> head, std::span<const uint8_t> tail,
                            uint64_t* tag);
    void lose(const char* why);

    UniqueFd dev_;
    UniqueFd epoll_;
    UniqueFd pending_; // eventfd: failures_ not yet reported
    vdmabuf_uapi_info info_{};
    uint64_t features_ = 0;
    std::string name_;
    std::vector<uint8_t> send_buf_; // SEND needs the request in one piece
    Callbacks callbacks_;
    std::vector<Failure> failures_;
    uint64_t next_tag_ = 1;
    bool connected_ = true;
    DeviceCounters counters_;
};

} // namespace vdmabuf::frontend
