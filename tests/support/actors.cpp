#include "actors.hpp"

#include <drm_fourcc.h>
#include <poll.h>
#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::harness {

std::unique_ptr<GuestActor> GuestActor::open(const std::string& socket,
                                             frontend::DeviceOptions options) {
    auto g = std::make_unique<GuestActor>();
    g->device = frontend::Device::open(socket, options);
    if (!g->device)
        return nullptr;
    GuestActor* self = g.get();
    frontend::Callbacks cb;
    cb.on_release = [self](const vdmabuf_id& id, uint64_t seq, uint32_t output, uint32_t reason) {
        self->releases.push_back({id, seq, output, reason});
    };
    cb.on_refresh = [self](uint32_t output) { self->refreshes.push_back(output); };
    cb.on_error = [self](uint32_t request, uint32_t code, uint64_t tag) {
        self->errors.push_back({request, code, tag});
    };
    cb.on_lost = [self] { self->lost = true; };
    cb.on_input = [self](const frontend::InputEvent& e) { self->inputs.push_back(e); };
    cb.on_keymap = [self](std::string_view layout, std::string_view variant) {
        self->keymaps.push_back({std::string(layout), std::string(variant)});
    };
    cb.on_mode = [self](uint32_t output, uint32_t width, uint32_t height, uint32_t refresh) {
        self->modes.push_back({output, width, height, refresh});
    };
    cb.on_hotplug = [self](uint32_t output, bool connected, uint32_t width, uint32_t height,
                           uint32_t refresh) {
        self->hotplugs.push_back({output, connected, width, height, refresh});
    };
    g->device->set_callbacks(std::move(cb));
    return g;
}

size_t GuestActor::releases_of(const vdmabuf_id& id) const {
    size_t n = 0;
    for (const auto& r : releases)
        n += consumer::same_id(r.id, id);
    return n;
}

std::unique_ptr<ViewerActor> ViewerActor::connect(const std::string& socket,
                                                  std::string_view guest_name, uint32_t output,
                                                  uint32_t role) {
    auto v = std::make_unique<ViewerActor>();
    v->client = consumer::Client::connect(socket, role, guest_name, output);
    if (!v->client)
        return nullptr;
    ViewerActor* self = v.get();
    consumer::Callbacks cb;
    cb.on_guest_new = [self](uint32_t guest, std::string_view) { self->guests.push_back(guest); };
    cb.on_guest_gone = [self](uint32_t guest) { self->guests_gone.push_back(guest); };
    cb.on_buffer_new = [self](const consumer::BufferInfo& b) { self->buffers.push_back(b); };
    cb.on_present = [self](const consumer::PresentEvent& p) {
        self->presents.push_back(p);
        if (self->auto_release)
            self->client->release(p.id, p.sequence);
    };
    cb.on_buffer_gone = [self](const vdmabuf_id& id) { self->gone.push_back(id); };
    cb.on_error = [self](uint32_t request, uint32_t code, uint64_t tag) {
        self->errors.push_back({request, code, tag});
    };
    cb.on_disconnect = [self] { self->disconnected = true; };
    cb.on_output = [self](const consumer::OutputInfo& o) {
        self->outputs.push_back(
            {o.guest, o.output, o.flags, o.width, o.height, o.refresh_mhz, std::string(o.name)});
    };
    cb.on_cursor_image = [self](const consumer::CursorImage& c) {
        self->cursor_images.push_back({c.guest, c.output, c.width, c.height, c.hotspot_x,
                                       c.hotspot_y, {c.pixels.begin(), c.pixels.end()}});
    };
    cb.on_cursor_move = [self](const consumer::CursorMove& m) { self->cursor_moves.push_back(m); };
    v->client->set_callbacks(std::move(cb));
    return v;
}

const consumer::BufferInfo* ViewerActor::buffer(const vdmabuf_id& id) const {
    for (const auto& b : buffers)
        if (consumer::same_id(b.id, id))
            return &b;
    return nullptr;
}

bool pump_until(const std::function<bool()>& pred, int timeout_ms,
                std::initializer_list<GuestActor*> guests,
                std::initializer_list<ViewerActor*> viewers) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    std::vector<pollfd> fds;
    while (true) {
        for (GuestActor* g : guests)
            if (g && g->device && !g->lost)
                g->device->dispatch();
        for (ViewerActor* v : viewers)
            if (v && v->client && !v->disconnected)
                v->client->dispatch();
        if (pred())
            return true;
        if (now_ns() >= deadline)
            return false;
        fds.clear();
        for (GuestActor* g : guests)
            if (g && g->device && !g->lost)
                fds.push_back({g->device->fd(), POLLIN, 0});
        for (ViewerActor* v : viewers)
            if (v && v->client && !v->disconnected)
                fds.push_back({v->client->fd(), POLLIN, 0});
        poll(fds.data(), fds.size(), 10);
    }
}

void fill_pattern(uint8_t* pixels, uint32_t width, uint32_t height, uint32_t stride,
                  uint32_t seed) {
    for (uint32_t y = 0; y < height; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(pixels + size_t(y) * stride);
        for (uint32_t x = 0; x < width; ++x)
            row[x] = 0xff000000u | ((x * 7 + seed) & 0xff) << 16 | ((y * 13 + seed * 3) & 0xff) << 8 |
                     ((x ^ y ^ seed) & 0xff);
    }
}

ExportedBuffer export_pattern(GuestActor& guest, uint32_t width, uint32_t height, uint32_t seed) {
    ExportedBuffer b;
    b.width = width;
    b.height = height;
    b.stride = width * 4;
    b.memory = guest.device->allocate(uint64_t(b.stride) * height);
    if (!b.memory)
        return b;
    fill_pattern(b.memory->data(), width, height, b.stride, seed);
    frontend::BufferDesc desc;
    desc.fourcc = DRM_FORMAT_XRGB8888;
    desc.width = width;
    desc.height = height;
    desc.n_planes = 1;
    desc.planes[0] = {0, b.stride};
    if (!guest.device->export_buffer(*b.memory, desc, b.id))
        b.memory.reset();
    return b;
}

} // namespace vdmabuf::harness
