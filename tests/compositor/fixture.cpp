#define VDM_LOG_SCOPE "compositor-fixture"
#include "fixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

namespace vdmabuf::compositor_test {

std::string compositor_path() {
    const char* env = std::getenv("VDMABUF_COMPOSITOR");
    return env && *env ? env : VDMABUF_COMPOSITOR_PATH;
}

std::string pattern_client_path() {
    const char* env = std::getenv("VDMABUF_PATTERN_CLIENT");
    return env && *env ? env : VDMABUF_PATTERN_CLIENT_PATH;
}

std::string find_program(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos)
            end = dirs.size();
        std::string candidate = dirs.substr(start, end - start) + "/" + program;
        if (end > start && access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return {};
}

std::string require_program(const std::string& program, const std::string& package) {
    std::string found = find_program(program);
    if (found.empty()) {
        std::printf("SKIP: %s is not installed (Debian package %s; scripts/install-deps)\n",
                    program.c_str(), package.c_str());
        std::fflush(stdout);
        std::exit(77);
    }
    return found;
}

// ---- Viewer ----------------------------------------------------------------

std::unique_ptr<Viewer> Viewer::connect(const std::string& socket) {
    auto v = std::unique_ptr<Viewer>(new Viewer);
    v->client_ = consumer::Client::connect(socket, VDMABUF_ROLE_VIEWER);
    if (!v->client_)
        return nullptr;
    Viewer* self = v.get();
    consumer::Callbacks cb;
    cb.on_guest_new = [self](uint32_t guest, std::string_view) { self->guest = guest; };
    cb.on_output = [self](const consumer::OutputInfo& o) {
        self->outputs.push_back(OutputEvent{o.output, o.flags, o.width, o.height, o.refresh_mhz,
                                            std::string(o.name)});
    };
    cb.on_cursor_image = [self](const consumer::CursorImage& c) {
        self->cursor_images.push_back(CursorImageEvent{
            c.output, c.width, c.height, c.hotspot_x, c.hotspot_y,
            std::vector<uint8_t>(c.pixels.begin(), c.pixels.end())});
    };
    cb.on_cursor_move = [self](const consumer::CursorMove& m) {
        self->cursor_moves.push_back(CursorMoveEvent{m.output, m.x, m.y, m.visible});
    };
    cb.on_buffer_new = [self](const consumer::BufferInfo& b) {
        ++self->buffers_new;
        self->buffers_seen.push_back(b);
        self->buffers_[key(b.id)] = b;
    };
    cb.on_buffer_gone = [self](const vdmabuf_id& id) {
        self->buffers_gone.push_back(id);
        self->imports_.erase(key(id));
        self->buffers_.erase(key(id));
        // The daemon released whatever we held of it.
        std::erase_if(self->held,
                      [&](const consumer::PresentEvent& p) { return consumer::same_id(p.id, id); });
    };
    cb.on_present = [self](const consumer::PresentEvent& p) {
        ++self->presents;
        ++self->presents_on[p.output];
        self->last_present_ns = now_ns();
        if (self->on_present)
            self->on_present(p);
        if (self->release_on_arrival)
            self->client_->release(p.id, p.sequence);
        else
            self->held.push_back(p);
    };
    cb.on_error = [self](uint32_t request, uint32_t code, uint64_t tag) {
        self->errors.emplace_back(request, code, tag);
    };
    cb.on_disconnect = [self] { self->disconnected = true; };
    v->client_->set_callbacks(std::move(cb));
    return v;
}

const consumer::BufferInfo* Viewer::info(const vdmabuf_id& id) const {
    auto it = buffers_.find(key(id));
    return it == buffers_.end() ? nullptr : &it->second;
}

const uint8_t* Viewer::pixels(const vdmabuf_id& id) {
    auto it = imports_.find(key(id));
    if (it == imports_.end()) {
        auto imported = client_->import(id);
        if (!imported)
            return nullptr;
        it = imports_.emplace(key(id), std::move(*imported)).first;
    }
    return it->second.map();
}

FrameView Viewer::frame(const consumer::PresentEvent& p) {
    FrameView f;
    const consumer::BufferInfo* b = info(p.id);
    const uint8_t* bytes = pixels(p.id);
    if (!b || !bytes || b->n_planes < 1)
        return f;
    f.pixels = bytes + b->planes[0].offset;
    f.width = b->width;
    f.height = b->height;
    f.stride = b->planes[0].stride;
    return f;
}

void Viewer::release(const consumer::PresentEvent& p) {
    client_->release(p.id, p.sequence);
    std::erase_if(held, [&](const consumer::PresentEvent& h) {
        return consumer::same_id(h.id, p.id) && h.sequence == p.sequence;
    });
}

void Viewer::release_front() {
    if (held.empty())
        return;
    client_->release(held.front().id, held.front().sequence);
    held.pop_front();
}

void Viewer::release_all() {
    while (!held.empty())
        release_front();
}

void Viewer::release_all_but_last() {
    while (held.size() > 1)
        release_front();
}

// ---- CompositorFixture -----------------------------------------------------

std::unique_ptr<CompositorFixture> CompositorFixture::start(const CompositorOptions& opts,
                                                            std::string& error) {
    auto f = std::unique_ptr<CompositorFixture>(new CompositorFixture);
    const std::string compositor = compositor_path();
    if (compositor.empty() || access(compositor.c_str(), X_OK) != 0) {
        error = "no compositor binary at '" + compositor + "'";
        return nullptr;
    }
    char tmpl[] = "/tmp/vdmabuf-xdg-XXXXXX"; // mkdtemp makes it 0700
    if (!mkdtemp(tmpl)) {
        error = "mkdtemp failed";
        return nullptr;
    }
    f->runtime_dir_ = tmpl;
    f->daemon_ = harness::DaemonProcess::start(opts.daemon_args, opts.daemon_log_to_file);
    if (!f->daemon_) {
        error = "vdmabufd did not start";
        return nullptr;
    }
    // The consumer is there before the first frame, so it sees them all.
    f->viewer_ = Viewer::connect(f->daemon_->consumer_socket());
    if (!f->viewer_) {
        error = "the consumer could not connect to vdmabufd";
        return nullptr;
    }
    std::vector<std::string> argv{"/usr/bin/env", "-u",      "WAYLAND_DISPLAY",
                                  "-u",           "DISPLAY", "XDG_RUNTIME_DIR=" + f->runtime_dir_};
    if (!opts.stderr_file.empty()) // exec: the pid stays the compositor's
        argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>\"$0\"", opts.stderr_file});
    argv.insert(argv.end(), opts.env.begin(), opts.env.end());
    argv.insert(argv.end(), {compositor, "--device", f->daemon_->guest_socket()});
    for (const auto& o : opts.outputs)
        argv.insert(argv.end(), {"--output", o});
    if (opts.xwayland)
        argv.push_back("--xwayland");
    argv.insert(argv.end(), opts.extra_args.begin(), opts.extra_args.end());
    if (!opts.command.empty()) {
        argv.push_back("--");
        argv.insert(argv.end(), opts.command.begin(), opts.command.end());
    }
    f->compositor_ = ChildProcess::spawn(argv);
    if (!f->compositor_ || !f->compositor_.wait_for_line("vdmabuf-compositor: ready", 15000)) {
        int status = 0;
        error = "vdmabuf-compositor did not print 'vdmabuf-compositor: ready'";
        if (f->compositor_.exited(&status))
            error += " (it exited, wait status " + std::to_string(status) + ")";
        return nullptr;
    }
    return f;
}

CompositorFixture::~CompositorFixture() {
    compositor_.stop(SIGTERM, 5000);
    viewer_.reset();
    daemon_.reset();
    if (!runtime_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(runtime_dir_, ec);
    }
}

bool CompositorFixture::reconnect_viewer() {
    viewer_.reset();
    viewer_ = Viewer::connect(daemon_->consumer_socket());
    return viewer_ != nullptr;
}

std::string CompositorFixture::wayland_display() const {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(runtime_dir_, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("wayland-", 0) == 0 && entry.is_socket(ec))
            return name;
    }
    return {};
}

std::vector<std::string> CompositorFixture::client_env() const {
    return {"/usr/bin/env", "-u", "DISPLAY", "XDG_RUNTIME_DIR=" + runtime_dir_,
            "WAYLAND_DISPLAY=" + wayland_display()};
}

bool CompositorFixture::pump_until(const std::function<bool()>& pred, int timeout_ms) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1'000'000;
    while (true) {
        if (!viewer_->disconnected)
            viewer_->client().dispatch();
        if (pred())
            return true;
        const uint64_t now = now_ns();
        // Nobody else reads the compositor's stdout (its clients share it):
        // drain it so a chatty client cannot block on a full pipe.
        if (now - last_drain_ns_ > 100'000'000) {
            last_drain_ns_ = now;
            (void)compositor_.wait_for_line("\x01 never", 1);
            int status = 0;
            if (!exit_status_ && compositor_.exited(&status))
                exit_status_ = status;
        }
        if (exit_status_ || now >= deadline)
            return pred();
        if (!viewer_->disconnected)
            viewer_->client().wait(10);
        else
            usleep(10'000);
    }
}

} // namespace vdmabuf::compositor_test
