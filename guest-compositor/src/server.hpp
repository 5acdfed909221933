// The compositor: tinywl's server with vdmabuf outputs. Owns the display, the
// headless backend, the renderer (pixman, or GLES2 on a DRM node: --renderer) with
// the output buffers' allocator (guest memory, or GBM for GLES2), the device link,
// the scene, the protocol globals, the seat, outputs and views.
//
// Teardown order (~Server): clients, views, backend (outputs and their swapchains),
// then in-flight presentations, the device, the display: encoded once here.
#pragma once

#include "export/device_link.hpp"
#include "export/exporter.hpp"
#include "export/gbm_allocator.hpp"
#include "export/guest_allocator.hpp"
#include "options.hpp"
#include "wlr/handles.hpp"
#include "wlr/listener.hpp"

#include <vdmabuf/shared/unique_fd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::compositor {

class Output;
class View;
class Seat;
class XwaylandShell;
class HostInput;

class Server {
public:
    explicit Server(const Options& options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Creates everything, opens the display socket, starts the backend and the device.
    [[nodiscard]] bool start();
    void run() { wl_display_run(display_.get()); }
    void terminate() { wl_display_terminate(display_.get()); }
    // Hangs up on every client (run() has returned): a client that waits for
    // the compositor in its own shutdown (foot) then exits instead of waiting.
    void close_clients() { wl_display_destroy_clients(display_.get()); }

    [[nodiscard]] const std::string& socket_name() const { return socket_; }
    [[nodiscard]] std::string x_display_name() const;

    // Called once when the display is listening and the device is connected.
    std::function<void()> on_ready;

    // Views: stacking order is the scene's; focus moves with clicks and maps.
    void add_view(std::unique_ptr<View> view);
    void remove_view(View* view);
    [[nodiscard]] View* view_at(double lx, double ly, wlr_surface** surface, double* sx,
                                double* sy);
    // Cascade: the next free slot on the first output, in layout coordinates.
    void next_cascade_position(int& x, int& y);
    void remove_output(Output* output);
    [[nodiscard]] Output* output_by_index(uint32_t index);
    // An output changed size: maximized and fullscreen views follow it.
    void handle_output_mode(Output* output);
    // The output a view should fill: the one under (lx, ly), else the first.
    [[nodiscard]] wlr_output* output_for(double lx, double ly);
    // The output at (lx, ly) among those that are alive, or nullptr.
    [[nodiscard]] wlr_output* live_output_at(double lx, double ly);

    // Device events of the interactive session (device spec §8.5, §8.6).
    void handle_mode_request(uint32_t index, uint32_t width, uint32_t height,
                             uint32_t refresh_mhz);
    void handle_hotplug_request(uint32_t index, bool connected, uint32_t width, uint32_t height,
                                uint32_t refresh_mhz);

    // The GL path (GLES2 into GBM buffers) was chosen.
    [[nodiscard]] bool gl() const { return gbm_allocator_ != nullptr; }
    // What outputs render into: GBM buffers on the GL path, else guest memory.
    [[nodiscard]] wlr_allocator* output_allocator() {
        return gbm_allocator_ ? gbm_allocator_->base() : allocator_.base();
    }

    // Everything below is shared with the Output/View/Seat objects (tinywl style).
    Options options_;
    WlDisplay display_;
    wl_event_loop* loop_ = nullptr;
    WlrBackend backend_;
    UniqueFd drm_fd_; // the GL renderer's DRM node (wlroots borrows it): closes after it
    WlrRenderer renderer_;
    DeviceLink link_;
    Exporter exporter_;
    GuestAllocator allocator_;
    std::unique_ptr<GbmAllocator> gbm_allocator_; // the GL path's
    WlrOutputLayout layout_;
    wlr_scene* scene_ = nullptr;
    wlr_scene_tree* background_tree_ = nullptr;
    wlr_scene_tree* views_tree_ = nullptr;
    wlr_compositor* compositor_ = nullptr;
    wlr_xdg_shell* xdg_shell_ = nullptr;
    wlr_xdg_decoration_manager_v1* decoration_manager_ = nullptr;
    wlr_presentation* presentation_ = nullptr;
    std::unique_ptr<Seat> seat_;
    std::unique_ptr<HostInput> input_;
    std::unique_ptr<XwaylandShell> xwayland_;
    std::vector<std::unique_ptr<Output>> outputs_;
    std::vector<std::unique_ptr<View>> views_;

private:
    // --renderer: GL where asked or probed to work, else pixman. False (logged) when
    // gl was asked for and cannot work.
    [[nodiscard]] bool create_renderer();
    // wl_shm, and linux-dmabuf where the renderer can import dma-bufs.
    [[nodiscard]] bool init_buffer_protocols();
    void handle_new_output(wlr_output* output);
    void handle_new_xdg_surface(wlr_xdg_surface* surface);
    void handle_new_decoration(wlr_xdg_toplevel_decoration_v1* decoration);
    void handle_connected(bool first);
    void maybe_ready();
    void rescue_views();

    std::string socket_;
    bool ready_ = false;
    bool listening_ = false;
    unsigned cascade_ = 0;
    // Set while wlr_headless_add_output runs for a HOTPLUG: the new output's
    // index and mode (handle_new_output is called from inside it).
    struct PendingOutput {
        uint32_t index;
        OutputMode mode;
    };
    std::optional<PendingOutput> hotplug_;

    Listener<wlr_output> new_output_;
    Listener<wlr_xdg_surface> new_xdg_surface_;
    Listener<wlr_xdg_toplevel_decoration_v1> new_decoration_;
    Listener<void> layout_change_;
};

} // namespace vdmabuf::compositor
