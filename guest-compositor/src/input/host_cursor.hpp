// The cursor as its own channel to the host (device spec §6.6, §6.7), like
// virtio-gpu's cursor queue: it is never rendered into frames, so moving the
// pointer sends a CURSOR_MOVE and no frame.
//
// The image is the one the focused client set with wl_pointer.set_cursor (read
// from its surface's buffer, again on each commit of that surface), the xcursor
// theme's left_ptr when no client has the pointer, or a built-in arrow when no
// theme is installed. It is sent to the output the pointer is on; an output the
// pointer left gets CURSOR_MOVE visible = 0. Images larger than 128x128 are
// clipped around the hotspot (see cursor_image.hpp).
#pragma once

#include "input/cursor_image.hpp"
#include "vdmabuf_wire.h"
#include "wlr/handles.hpp"
#include "wlr/listener.hpp"

#include <vdmabuf/frontend/device.hpp>

#include <array>
#include <cstdint>
#include <optional>

namespace vdmabuf::compositor {

class Server;

class HostCursor {
public:
    explicit HostCursor(Server& server);
    ~HostCursor();
    HostCursor(const HostCursor&) = delete;
    HostCursor& operator=(const HostCursor&) = delete;

    // The theme's arrow (nothing under the pointer, or a client that set none).
    void use_default();
    // A client's cursor surface; nullptr hides the cursor (wl_pointer.set_cursor).
    void use_surface(wlr_surface* surface, int32_t hotspot_x, int32_t hotspot_y);
    // The pointer is at (lx, ly) in layout coordinates.
    void move_to(double lx, double ly);
    // A new device session, or an output appeared: send everything again.
    void resend();
    void forget_output(uint32_t index);

    [[nodiscard]] const CursorImage& image() const { return image_; }
    [[nodiscard]] uint64_t images_sent() const { return images_sent_; }

private:
    void set_image(CursorImage image);
    void read_surface();
    void sync();
    [[nodiscard]] frontend::Device* device();

    Server& server_;
    WlrXcursorManager xcursor_;
    CursorImage image_;
    uint64_t serial_ = 1; // of image_
    uint64_t images_sent_ = 0;
    wlr_surface* surface_ = nullptr;
    int32_t surface_hotspot_x_ = 0, surface_hotspot_y_ = 0;
    double lx_ = 0, ly_ = 0;
    bool positioned_ = false;

    // What each output was last told.
    struct Sent {
        uint64_t serial = 0;
        std::optional<std::array<int32_t, 2>> position;
        bool visible = false;
    };
    std::array<Sent, VDMABUF_MAX_OUTPUTS> sent_{};
    std::optional<uint32_t> output_; // the one the pointer is on

    Listener<void> surface_commit_;
    Listener<void> surface_destroy_;
};

} // namespace vdmabuf::compositor
