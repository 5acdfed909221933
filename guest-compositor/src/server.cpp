#define VDM_LOG_SCOPE "server"
#include "server.hpp"

#include "input/host_cursor.hpp"
#include "input/host_input.hpp"
#include "output.hpp"
#include "render/gl_setup.hpp"
#include "seat.hpp"
#include "view.hpp"
#include "xwayland.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>

namespace vdmabuf::compositor {

namespace {

// Guest memory for every output's full swapchain (wlroots keeps at most 4 buffers
// per output), twice over for a resize, plus room for a 4K output added or
// resized to at run time (memfd pages are only used once touched), never below
// libvdmabuf-guest's default.
frontend::DeviceOptions device_options(const Options& options) {
    frontend::DeviceOptions device;
    device.name = "vdmabuf-compositor";
    uint64_t bytes = 0;
    for (const OutputMode& mode : options.outputs)
        bytes += 4ull * ((static_cast<uint64_t>(mode.width) * 4 + 63) & ~63ull) *
                 static_cast<uint64_t>(mode.height);
    const uint64_t uhd = 4ull * 3840 * 4 * 2160;
    const uint64_t want = bytes * 2 + 2 * uhd + (16ull << 20);
    device.memory_size = std::max<uint64_t>(device.memory_size, (want + 0xfffff) & ~0xfffffull);
    device.hello_timeout_ms = 1000;
    return device;
}

// libvdmabuf-guest checked the limits of the wire; these are the compositor's
// own (sizes the --output option accepts, at most 1000 Hz).
bool mode_in_range(const char* what, uint32_t index, uint32_t width, uint32_t height,
                   uint32_t refresh_mhz) {
    if (width >= 1 && height >= 1 && width <= 16384 && height <= 16384 && refresh_mhz <= 1000000)
        return true;
    VDM_WARN("%s %ux%u@%u mHz for output %u out of range: ignored", what, width, height,
             refresh_mhz, index);
    return false;
}

DeviceLink::Events link_events(Server& server) {
    DeviceLink::Events events;
    events.on_release = [&server](const vdmabuf_id& id, uint64_t seq, uint32_t output,
                                  uint32_t reason) {
        server.exporter_.handle_release(id, seq, output, reason);
    };
    events.on_error = [&server](uint32_t type, uint32_t code, uint64_t tag) {
        server.exporter_.handle_error(type, code, tag);
    };
    events.on_lost = [&server] { server.exporter_.handle_lost(); };
    events.on_dispatched = [&server] { server.exporter_.collect_retired(); };
    events.on_refresh = [&server](uint32_t index) {
        for (auto& output : server.outputs_)
            if (index == VDMABUF_OUTPUT_ALL || output->index() == index)
                output->repaint_all();
    };
    events.on_input = [&server](const frontend::InputEvent& e) { server.input_->handle(e); };
    events.on_keymap = [&server](std::string_view layout, std::string_view variant) {
        server.input_->handle_keymap(layout, variant);
    };
    events.on_mode = [&server](uint32_t output, uint32_t w, uint32_t h, uint32_t mhz) {
        server.handle_mode_request(output, w, h, mhz);
    };
    events.on_hotplug = [&server](uint32_t output, bool connected, uint32_t w, uint32_t h,
                                  uint32_t mhz) {
        server.handle_hotplug_request(output, connected, w, h, mhz);
    };
    return events;
}

} // namespace

Server::Server(const Options& options)
    : options_(options), display_(wl_display_create()),
      loop_(wl_display_get_event_loop(display_.get())),
      link_(loop_, options.device, device_options(options), link_events(*this)),
      exporter_(link_), allocator_(link_, exporter_) {
    link_.set_on_connected([this](bool first) { handle_connected(first); });
    exporter_.on_buffer_free = [this](uint32_t index) {
        if (Output* output = output_by_index(index))
            output->handle_buffer_free();
    };
}

Server::~Server() {
    if (display_)
        wl_display_destroy_clients(display_.get());
    xwayland_.reset();
    views_.clear();
    input_.reset();
    seat_.reset();
    // Outputs go with the backend; their swapchains drop buffers (unexported once
    // released). Then nothing renders any more and in-flight frames can be let go.
    new_output_.disconnect(); // its signal is inside the backend
    backend_.reset();
    outputs_.clear();
    exporter_.unlock_all();
    // Ending the session retires every buffer on the host (§9); the pages kept
    // for pending UNEXPORTs are then free, and go with the exporter.
    link_.close();
    // The layout before the scene: wlroots 0.15's scene-to-layout link reads the
    // scene when the layout goes, and is not unlinked when the scene goes.
    layout_change_.disconnect();
    layout_.reset();
    if (scene_)
        wlr_scene_node_destroy(&scene_->node);
}

bool Server::start() {
    if (!display_) {
        VDM_ERROR("wl_display_create failed");
        return false;
    }
    // Headless is fixed: outputs are vdmabuf displays, not host windows.
    backend_.reset(wlr_headless_backend_create(display_.get()));
    if (!backend_) {
        VDM_ERROR("wlr_headless_backend_create failed");
        return false;
    }
    if (!create_renderer() || !init_buffer_protocols())
        return false;
    layout_.reset(wlr_output_layout_create());
    scene_ = wlr_scene_create();
    background_tree_ = wlr_scene_tree_create(&scene_->node);
    views_tree_ = wlr_scene_tree_create(&scene_->node);
    wlr_scene_attach_output_layout(scene_, layout_.get());

    compositor_ = wlr_compositor_create(display_.get(), renderer_.get());
    wlr_data_device_manager_create(display_.get());
    wlr_primary_selection_v1_device_manager_create(display_.get());
    wlr_viewporter_create(display_.get());
    wlr_screencopy_manager_v1_create(display_.get());
    wlr_xdg_output_manager_v1_create(display_.get(), layout_.get());
    presentation_ = wlr_presentation_create(display_.get(), backend_.get());
    wlr_scene_set_presentation(scene_, presentation_);

    xdg_shell_ = wlr_xdg_shell_create(display_.get());
    new_xdg_surface_.connect(&xdg_shell_->events.new_surface,
                             [this](wlr_xdg_surface* s) { handle_new_xdg_surface(s); });
    decoration_manager_ = wlr_xdg_decoration_manager_v1_create(display_.get());
    new_decoration_.connect(
        &decoration_manager_->events.new_toplevel_decoration,
        [this](wlr_xdg_toplevel_decoration_v1* d) { handle_new_decoration(d); });

    seat_ = std::make_unique<Seat>(*this);
    input_ = std::make_unique<HostInput>(*this);
    layout_change_.connect(&layout_->events.change, [this](void*) {
        // Outputs moved (one was added, removed or resized): backgrounds and
        // the views that fill an output follow.
        for (auto& output : outputs_) {
            output->follow_layout();
            handle_output_mode(output.get());
        }
    });
    new_output_.connect(&backend_->events.new_output,
                        [this](wlr_output* o) { handle_new_output(o); });

    const char* socket = wl_display_add_socket_auto(display_.get());
    if (!socket) {
        VDM_ERROR("wl_display_add_socket_auto failed");
        return false;
    }
    socket_ = socket;

    if (options_.xwayland) {
        xwayland_ = XwaylandShell::create(*this);
        if (!xwayland_)
            VDM_WARN("Xwayland unavailable; continuing without it");
    }

    if (!wlr_backend_start(backend_.get())) {
        VDM_ERROR("wlr_backend_start failed");
        return false;
    }
    // After the start, so each is announced as it is made, in --output order
    // (outputs made before it come out newest first: HEADLESS-2 got index 0).
    for (const OutputMode& mode : options_.outputs)
        wlr_headless_add_output(backend_.get(), static_cast<unsigned>(mode.width),
                                static_cast<unsigned>(mode.height));
    listening_ = true;
    VDM_INFO("Wayland display %s", socket_.c_str());
    link_.start();
    maybe_ready();
    return true;
}

bool Server::create_renderer() {
    const RendererChoice choice = options_.renderer;
    if (choice == RendererChoice::pixman) {
        VDM_INFO("renderer: pixman into guest memory (--renderer pixman)");
    } else {
        std::string reason;
        if (auto gl = create_gl(options_, link_, exporter_, reason)) {
            drm_fd_ = std::move(gl->drm_fd);
            renderer_ = std::move(gl->renderer);
            gbm_allocator_ = std::move(gl->allocator);
            VDM_INFO("renderer: gl (GLES2 on %s into LINEAR GBM buffers, exported as dma-bufs)",
                     gl->node.c_str());
            return true;
        }
        if (choice == RendererChoice::gl) {
            VDM_ERROR("--renderer gl cannot work here: %s", reason.c_str());
            return false;
        }
        VDM_INFO("renderer: pixman into guest memory (gl not used: %s)", reason.c_str());
    }
    renderer_.reset(wlr_pixman_renderer_create());
    if (!renderer_) {
        VDM_ERROR("wlr_pixman_renderer_create failed");
        return false;
    }
    return true;
}

bool Server::init_buffer_protocols() {
    // wlroots 0.15 offers linux-dmabuf only with a renderer DRM fd. GLES2 on
    // llvmpipe runs on Mesa's software EGL device, which has none (the DRM node
    // only allocates the GBM buffers): clients then get wl_shm alone, as with pixman.
    if (gl() && wlr_renderer_get_drm_fd(renderer_.get()) < 0) {
        VDM_INFO("the GL renderer has no DRM device of its own (software EGL device): "
                 "clients get wl_shm, no linux-dmabuf");
        if (!wlr_renderer_init_wl_shm(renderer_.get(), display_.get())) {
            VDM_ERROR("wlr_renderer_init_wl_shm failed");
            return false;
        }
        return true;
    }
    if (!wlr_renderer_init_wl_display(renderer_.get(), display_.get())) {
        VDM_ERROR("wlr_renderer_init_wl_display failed");
        return false;
    }
    return true;
}

std::string Server::x_display_name() const {
    return xwayland_ ? xwayland_->display_name() : std::string();
}

void Server::maybe_ready() {
    if (ready_ || !listening_ || !link_.device())
        return;
    ready_ = true;
    if (on_ready)
        on_ready();
}

void Server::handle_connected(bool first) {
    if (!first) {
        // A new session has new guest memory: every output reallocates its
        // swapchain there and repaints, so the host gets a full frame at once.
        for (auto& output : outputs_)
            output->reset_swapchain();
    }
    // The host learns every output and the cursor again from this session.
    for (auto& output : outputs_)
        output->announce(true);
    if (seat_)
        seat_->cursor().resend();
    maybe_ready();
}

void Server::handle_new_output(wlr_output* wlr) {
    uint32_t index = 0;
    OutputMode mode;
    if (hotplug_) {
        index = hotplug_->index;
        mode = hotplug_->mode;
    } else {
        while (output_by_index(index))
            ++index;
        mode = index < options_.outputs.size() ? options_.outputs[index] : OutputMode{};
    }
    if (index >= VDMABUF_MAX_OUTPUTS || output_by_index(index)) {
        VDM_ERROR("output %s: no free vdmabuf output index", wlr->name);
        return;
    }
    auto output = Output::create(*this, wlr, index, mode);
    if (output)
        outputs_.push_back(std::move(output));
}

void Server::remove_output(Output* output) {
    const uint32_t index = output->index();
    std::erase_if(outputs_, [output](const auto& o) { return o.get() == output; });
    if (seat_)
        seat_->cursor().forget_output(index);
    rescue_views();
}

void Server::rescue_views() {
    // A view left on no output (its output went away) comes back to the first one.
    for (auto& view : views_) {
        if (!view->mapped())
            continue;
        view->output_gone();
        int x = 0, y = 0;
        wlr_scene_node_coords(&view->tree()->node, &x, &y);
        if (!outputs_.empty() && !live_output_at(x, y)) {
            next_cascade_position(x, y);
            view->move_to(x + View::kBorder, y + View::kTitleHeight);
        }
    }
}

wlr_output* Server::live_output_at(double lx, double ly) {
    // Only outputs that still have an Output: while one is being destroyed the
    // layout may still hold it.
    for (auto& output : outputs_) {
        const wlr_box* box = wlr_output_layout_get_box(layout_.get(), output->wlr());
        if (box && wlr_box_contains_point(box, lx, ly))
            return output->wlr();
    }
    return nullptr;
}

wlr_output* Server::output_for(double lx, double ly) {
    if (wlr_output* wlr = live_output_at(lx, ly))
        return wlr;
    return outputs_.empty() ? nullptr : outputs_.front()->wlr();
}

void Server::handle_output_mode(Output* output) {
    for (auto& view : views_)
        view->output_resized(output->wlr());
}

void Server::handle_mode_request(uint32_t index, uint32_t width, uint32_t height,
                                 uint32_t refresh_mhz) {
    Output* output = output_by_index(index);
    if (!output) {
        VDM_WARN("MODE for output %u, which does not exist: ignored", index);
        return;
    }
    if (!mode_in_range("MODE", index, width, height, refresh_mhz))
        return;
    const int32_t w = output->wlr()->width, h = output->wlr()->height;
    const int32_t mhz = output->wlr()->refresh;
    const bool ok = output->set_mode(static_cast<int32_t>(width), static_cast<int32_t>(height),
                                     static_cast<int32_t>(refresh_mhz));
    // A mode event announces a change; answer a request that changed nothing too.
    if (!ok || (w == output->wlr()->width && h == output->wlr()->height &&
                mhz == output->wlr()->refresh))
        output->announce(true);
}

void Server::handle_hotplug_request(uint32_t index, bool connected, uint32_t width,
                                    uint32_t height, uint32_t refresh_mhz) {
    if (index >= VDMABUF_MAX_OUTPUTS) {
        VDM_WARN("HOTPLUG for output %u: out of range, ignored", index);
        return;
    }
    Output* output = output_by_index(index);
    if (!connected) {
        if (!output) {
            VDM_WARN("HOTPLUG removes output %u, which does not exist", index);
            return;
        }
        VDM_INFO("HOTPLUG: removing output %u (%s)", index, output->wlr()->name);
        wlr_output_destroy(output->wlr()); // announces and removes it
        return;
    }
    if (output) {
        handle_mode_request(index, width, height, refresh_mhz);
        return;
    }
    if (!mode_in_range("HOTPLUG", index, width, height, refresh_mhz))
        return;
    OutputMode mode{static_cast<int32_t>(width), static_cast<int32_t>(height),
                    refresh_mhz ? static_cast<int32_t>(refresh_mhz) : 60000};
    hotplug_ = PendingOutput{index, mode};
    wlr_output* wlr = wlr_headless_add_output(backend_.get(), width, height);
    hotplug_.reset();
    if (!wlr || !output_by_index(index))
        VDM_ERROR("HOTPLUG: adding output %u (%ux%u) failed", index, width, height);
    else
        VDM_INFO("HOTPLUG: added output %u (%s)", index, wlr->name);
}

Output* Server::output_by_index(uint32_t index) {
    for (auto& output : outputs_)
        if (output->index() == index)
            return output.get();
    return nullptr;
}

void Server::add_view(std::unique_ptr<View> view) { views_.push_back(std::move(view)); }

void Server::remove_view(View* view) {
    seat_->forget_view(view);
    std::erase_if(views_, [view](const auto& v) { return v.get() == view; });
}

View* Server::view_at(double lx, double ly, wlr_surface** surface, double* sx, double* sy) {
    *surface = nullptr;
    wlr_scene_node* node = wlr_scene_node_at(&views_tree_->node, lx, ly, sx, sy);
    if (!node)
        return nullptr;
    if (node->type == WLR_SCENE_NODE_SURFACE)
        *surface = wlr_scene_surface_from_node(node)->surface;
    for (; node; node = node->parent)
        if (node->data)
            return static_cast<View*>(node->data);
    return nullptr;
}

void Server::next_cascade_position(int& x, int& y) {
    wlr_box box{0, 0, 640, 480};
    if (!outputs_.empty())
        if (const wlr_box* b = wlr_output_layout_get_box(layout_.get(), outputs_.front()->wlr()))
            box = *b;
    const int step = 32;
    const int slots_x = std::max(1, box.width / 2 / step);
    const int slots_y = std::max(1, box.height / 2 / step);
    const unsigned k = cascade_++;
    x = box.x + step * static_cast<int>(k % static_cast<unsigned>(slots_x));
    y = box.y + step * static_cast<int>(k % static_cast<unsigned>(slots_y));
}

} // namespace vdmabuf::compositor
