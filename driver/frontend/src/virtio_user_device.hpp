// Device implementation for virtio-user: this process is both the vhost-user front-end
// (it owns guest memory, a memfd, and configures vdmabufd over its guest socket) and the
// guest driver (it drives the split virtqueues in that memory, with eventfd kicks and
// one call eventfd shared by both queues). Layout: memory_layout.hpp.
#pragma once

#include "buffer_pool.hpp"
#include "ctrl_queue.hpp"
#include "event_queue.hpp"
#include "id_allocator.hpp"
#include "memory_layout.hpp"
#include "wire_parse.hpp"

#include <vdmabuf/frontend/device.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <memory>
#include <string>
#include <unordered_map>

namespace vdmabuf::frontend {

class VhostUserFrontend;
struct Negotiated;

class VirtioUserDevice final : public Device {
public:
    // Connects to a vdmabufd guest socket, sets the device up and says HELLO.
    [[nodiscard]] static std::unique_ptr<VirtioUserDevice> connect(const std::string& socket_path,
                                                                   const DeviceOptions& options);
    ~VirtioUserDevice() override;

    void set_callbacks(Callbacks callbacks) override { callbacks_ = std::move(callbacks); }
    [[nodiscard]] int fd() const override { return epoll_.get(); }
    int dispatch() override;
    [[nodiscard]] std::unique_ptr<Allocation> allocate(uint64_t size) override;
    [[nodiscard]] bool export_buffer(const Allocation& allocation, const BufferDesc& desc,
                                     vdmabuf_id& out_id, uint64_t* tag) override;
    // No kernel here to turn a dma-buf into guest-physical pages: false, errno ENOTSUP.
    [[nodiscard]] bool export_dmabuf(int dmabuf_fd, const BufferDesc& desc, vdmabuf_id& out_id,
                                     uint64_t* tag) override;
    [[nodiscard]] bool present(const vdmabuf_id& id, uint32_t output, uint64_t sequence,
                               uint64_t guest_time_ns, std::span<const vdmabuf_rect> damage,
                               uint64_t* tag) override;
    [[nodiscard]] bool unexport(const vdmabuf_id& id, uint64_t* tag) override;
    [[nodiscard]] bool send_raw(std::span<const uint8_t> request, uint64_t* tag) override;
    [[nodiscard]] bool announce_output(uint32_t output, bool connected, uint32_t width,
                                       uint32_t height, uint32_t refresh_mhz, std::string_view name,
                                       uint64_t* tag) override;
    [[nodiscard]] bool set_cursor(uint32_t output, uint32_t width, uint32_t height,
                                  uint32_t hotspot_x, uint32_t hotspot_y,
                                  std::span<const uint8_t> argb_pixels, uint64_t* tag) override;
    [[nodiscard]] bool move_cursor(uint32_t output, int32_t x, int32_t y, bool visible,
                                   uint64_t* tag) override;

    [[nodiscard]] uint32_t guest_id() const override { return hello_.guest; }
    [[nodiscard]] uint32_t max_buffers() const override { return hello_.max_buffers; }
    [[nodiscard]] const std::string& name() const override { return name_; }
    [[nodiscard]] bool connected() const override { return connected_; }
    [[nodiscard]] DeviceCounters counters() const override;
    [[nodiscard]] uint64_t features() const override { return features_; }

private:
    VirtioUserDevice() = default;

    [[nodiscard]] bool setup(const std::string& socket_path, const DeviceOptions& options);
    [[nodiscard]] bool connect_socket(const std::string& path, int timeout_ms);
    [[nodiscard]] bool create_memory(const DeviceOptions& options);
    [[nodiscard]] bool configure_device();
    // SET_MEM_TABLE, or ADD_MEM_REG per region (DeviceOptions::add_mem_reg).
    [[nodiscard]] bool register_memory(VhostUserFrontend& fe, const Negotiated& neg);
    [[nodiscard]] bool hello(const std::string& name, int timeout_ms);

    // Whether `bit` (VDMABUF_F_*) was negotiated; else errno ENOTSUP.
    [[nodiscard]] bool has_feature(unsigned bit);
    // Sends a fixed-size request (plus `tail`) of `type` with the next tag.
    [[nodiscard]] bool submit_simple(std::span<const uint8_t> head, std::span<const uint8_t> tail,
                                     uint32_t type, uint64_t* tag);
    // Queues a request on the ctrlq and kicks if needed.
    [[nodiscard]] bool submit(const CtrlRequest& request, uint64_t* tag);
    void kick(int queue);
    void drain_call();
    [[nodiscard]] bool check_socket(); // false once the back-end hung up
    void handle_completion(const CtrlCompletion& c);
    void retire(uint32_t counter); // the ID is no longer live on the device
    void handle_event(const uint8_t* bytes, uint32_t len);
    void lose(const char* why);
    [[nodiscard]] bool usable(); // connected, else errno ENOTCONN

    DeviceOptions options_;
    std::string name_;
    Callbacks callbacks_;
    // Memory first: the queues point into it.
    std::shared_ptr<BufferPool> pool_;
    MemoryLayout layout_;
    UniqueFd sock_;
    UniqueFd kick_[VDMABUF_NUM_QUEUES];
    UniqueFd call_;
    UniqueFd epoll_;
    EventQueue eventq_;
    CtrlQueue ctrlq_;
    HelloInfo hello_;
    IdAllocator ids_;
    // ID counter -> the exported allocation's export count (see page_allocation.hpp).
    std::unordered_map<uint32_t, std::shared_ptr<uint32_t>> exports_;
    uint64_t next_tag_ = 1;
    uint64_t features_ = 0; // negotiated VDMABUF_F_* bits
    bool connected_ = false;
    int added_regions_ = 0; // memory registered with ADD_MEM_REG (0: SET_MEM_TABLE)
    bool dmabuf_refusal_logged_ = false; // export_dmabuf() says why once
    DeviceCounters counters_;
};

} // namespace vdmabuf::frontend
