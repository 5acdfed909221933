// A guest (libvdmabuf-guest) and a viewer (libvdmabuf-host) that record what
// they hear, and a pump that drives both until a condition holds. Used by the
// integration tests and the demo; the benchmark has its own allocation-free loop.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/frontend/device.hpp>

namespace vdmabuf::harness {

struct Release {
    vdmabuf_id id;
    uint64_t sequence;
    uint32_t output;
    uint32_t reason;
};

struct DeviceError {
    uint32_t request;
    uint32_t code;
    uint64_t tag;
};

struct Keymap {
    std::string layout, variant;
};
struct ModeRequest {
    uint32_t output, width, height, refresh_mhz;
};
struct HotplugRequest {
    uint32_t output;
    bool connected;
    uint32_t width, height, refresh_mhz;
};

struct GuestActor {
    std::unique_ptr<frontend::Device> device;
    std::vector<Release> releases;
    std::vector<DeviceError> errors;
    std::vector<uint32_t> refreshes;
    std::vector<frontend::InputEvent> inputs;
    std::vector<Keymap> keymaps;
    std::vector<ModeRequest> modes;
    std::vector<HotplugRequest> hotplugs;
    bool lost = false;

    [[nodiscard]] static std::unique_ptr<GuestActor> open(const std::string& socket,
                                                          frontend::DeviceOptions options = {});
    [[nodiscard]] size_t releases_of(const vdmabuf_id& id) const;
};

struct OutputSeen {
    uint32_t guest, output, flags, width, height, refresh_mhz;
    std::string name;
};
struct CursorImageSeen {
    uint32_t guest, output, width, height, hotspot_x, hotspot_y;
    std::vector<uint8_t> pixels;
};

struct ViewerActor {
    std::unique_ptr<consumer::Client> client;
    std::vector<OutputSeen> outputs;
    std::vector<CursorImageSeen> cursor_images;
    std::vector<consumer::CursorMove> cursor_moves;
    std::vector<consumer::BufferInfo> buffers;
    std::vector<consumer::PresentEvent> presents;
    std::vector<vdmabuf_id> gone;
    std::vector<uint32_t> guests, guests_gone;
    std::vector<DeviceError> errors;
    bool disconnected = false;
    bool auto_release = false; // release every PRESENT as soon as it arrives

    [[nodiscard]] static std::unique_ptr<ViewerActor>
    connect(const std::string& socket, std::string_view guest_name = {},
            uint32_t output = VDMABUF_CONSUMER_ANY, uint32_t role = VDMABUF_ROLE_VIEWER);
    [[nodiscard]] const consumer::BufferInfo* buffer(const vdmabuf_id& id) const;
};

// Polls and dispatches every actor until pred() is true (true) or timeout_ms
// passes (false).
bool pump_until(const std::function<bool()>& pred, int timeout_ms,
                std::initializer_list<GuestActor*> guests,
                std::initializer_list<ViewerActor*> viewers);

// Allocates, fills with a pattern derived from `seed` and exports an XRGB8888
// buffer; returns the allocation (kept alive by the caller) and the ID.
struct ExportedBuffer {
    std::unique_ptr<frontend::Allocation> memory;
    vdmabuf_id id{};
    uint32_t width = 0, height = 0, stride = 0;
};
[[nodiscard]] ExportedBuffer export_pattern(GuestActor& guest, uint32_t width, uint32_t height,
                                            uint32_t seed);
void fill_pattern(uint8_t* pixels, uint32_t width, uint32_t height, uint32_t stride, uint32_t seed);

} // namespace vdmabuf::harness
