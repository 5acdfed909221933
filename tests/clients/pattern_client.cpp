// vdmabuf-pattern-client: a deterministic xdg-shell client for the compositor
// tests, the benchmark and the demo. It draws the picture of pattern.hpp into
// wl_shm buffers, so a reader of the compositor's output can find the window,
// read which frame it shows and when it was committed, and check every pixel.
//
//   vdmabuf-pattern-client [--size WxH] [--mode still|full|square]
//                          [--square X,Y] [--fps N] [--frames N]
//                          [--translucent ROWS] [--scale N] [--stamp-time NS]
//                          [--popup WxH+X+Y] [--hold]
//
// still: one frame, then nothing until closed. full: every frame redraws and
// damages the whole surface. square: only the 64x64 square changes and only
// it is damaged. --fps paces commits with a timer (default 60); --fps 0 paces
// them with wl_surface.frame callbacks instead. --frames N exits (status 0)
// after N commits; with --hold it says "committed N frames" on stdout instead
// and keeps its window until closed or killed, so that a reader can wait for
// the last frame while the window is still there. Exits 1 if the compositor
// goes away or lacks a global.
// For the render tests: --translucent ROWS makes the buffers ARGB8888 with the
// bottom ROWS rows at alpha 0x80 (premultiplied) and the rows above them the
// surface's opaque region; --scale N sets the buffer scale (the size must
// divide by N); --stamp-time NS writes NS instead of the clock into the stamp,
// so that two runs draw the same pixels; --popup opens an xdg_popup (popup.hpp)
// once the first frame is committed.
#define VDM_LOG_SCOPE "pattern-client"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/timerfd.h>
#include <vector>

#include <wayland-client.h>

#include "client_window.hpp"
#include "popup.hpp"
#include "pattern.hpp"
#include "shm_buffer.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::testclient {
namespace {

constexpr size_t kMaxBuffers = 4;

struct Options {
    pattern::Layout layout{pattern::Mode::still, 256, 256, 32, 32};
    uint32_t fps = 60;
    uint64_t frames = 0; // 0: run until closed
    bool hold = false;   // after `frames`, keep the window until closed
    uint32_t translucent_rows = 0;
    uint32_t scale = 1;
    std::optional<uint64_t> stamp_time_ns;
    uint32_t popup_width = 0, popup_height = 0; // 0: no popup
    int32_t popup_x = 0, popup_y = 0;
};

class PatternClient final : private WindowEvents {
public:
    explicit PatternClient(const Options& opts) : opts_(opts) {}
    ~PatternClient();
    PatternClient(const PatternClient&) = delete;
    PatternClient& operator=(const PatternClient&) = delete;

    [[nodiscard]] bool connect();
    int run();

    static void frame_done(void* data, wl_callback* cb, uint32_t);

private:
    void configured() override;
    void closed() override { running_ = false; }
    // Draws and commits the next frame if a buffer is free.
    void next_frame();
    [[nodiscard]] ShmBuffer* free_buffer();
    // --translucent: the bottom rows at alpha 0x80, premultiplied.
    void make_translucent(ShmBuffer& b) const;

    ClientWindow window_; // first: outlives the buffers and callbacks below
    Options opts_;
    std::unique_ptr<Popup> popup_;
    wl_display* display_ = nullptr;
    wl_surface* surface_ = nullptr;
    wl_callback* frame_cb_ = nullptr;
    std::vector<std::unique_ptr<ShmBuffer>> buffers_;
    UniqueFd timer_;
    uint32_t frame_ = 0; // the next frame to commit
    uint64_t skipped_ = 0;
    bool configured_ = false;
    bool running_ = true;
    bool held_ = false; // --hold: the last frame is committed
};

const wl_callback_listener kFrameListener = {PatternClient::frame_done};

void PatternClient::configured() {
    if (!configured_) {
        configured_ = true;
        next_frame(); // the first frame maps the window
    }
}

void PatternClient::frame_done(void* data, wl_callback* cb, uint32_t) {
    auto* self = static_cast<PatternClient*>(data);
    wl_callback_destroy(cb);
    self->frame_cb_ = nullptr;
    self->next_frame();
}

bool PatternClient::connect() {
    if (!window_.connect(*this, "vdmabuf-pattern-client", "vdmabuf-pattern-client"))
        return false;
    display_ = window_.display();
    surface_ = window_.surface();
    // Applied with the first buffer's commit.
    if (opts_.scale > 1)
        wl_surface_set_buffer_scale(surface_, int32_t(opts_.scale));
    if (opts_.translucent_rows > 0) {
        const pattern::Layout& l = opts_.layout;
        wl_region* opaque = wl_compositor_create_region(window_.compositor());
        wl_region_add(opaque, 0, 0, int32_t(l.width / opts_.scale),
                      int32_t((l.height - opts_.translucent_rows) / opts_.scale));
        wl_surface_set_opaque_region(surface_, opaque);
        wl_region_destroy(opaque);
    }

    if (opts_.fps > 0 && opts_.layout.mode != pattern::Mode::still) {
        timer_ = UniqueFd{timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
        const long period_ns = 1'000'000'000L / long(opts_.fps);
        itimerspec its{};
        its.it_interval.tv_sec = period_ns / 1'000'000'000L;
        its.it_interval.tv_nsec = period_ns % 1'000'000'000L;
        its.it_value = its.it_interval;
        if (!timer_ || timerfd_settime(timer_.get(), 0, &its, nullptr) != 0) {
            VDM_ERRNO("timerfd");
            return false;
        }
    }
    return true;
}

ShmBuffer* PatternClient::free_buffer() {
    for (auto& b : buffers_)
        if (!b->busy)
            return b.get();
    if (buffers_.size() >= kMaxBuffers)
        return nullptr;
    auto b = ShmBuffer::create(window_.shm(), opts_.layout.width, opts_.layout.height,
                               opts_.translucent_rows ? WL_SHM_FORMAT_ARGB8888
                                                      : WL_SHM_FORMAT_XRGB8888);
    if (!b)
        return nullptr;
    buffers_.push_back(std::move(b));
    return buffers_.back().get();
}

void PatternClient::next_frame() {
    const pattern::Layout& l = opts_.layout;
    if (!configured_ || (l.mode == pattern::Mode::still && frame_ > 0) || frame_cb_)
        return;
    if (opts_.frames && frame_ >= opts_.frames) {
        if (!opts_.hold) {
            running_ = false;
        } else if (!held_) {
            held_ = true;
            std::printf("committed %" PRIu64 " frames\n", opts_.frames);
            std::fflush(stdout);
        }
        return;
    }
    ShmBuffer* b = free_buffer();
    if (!b) {
        ++skipped_; // every buffer is still with the compositor: skip this tick
        return;
    }
    // A buffer that already holds a complete frame only needs the region that
    // changes; in square mode that is the 64x64 square alone.
    const pattern::Rect all{0, 0, l.width, l.height};
    const pattern::Rect area = b->drawn ? l.region() : all;
    pattern::draw(l, frame_, 0, area, b->pixels(), b->stride());
    b->drawn = true;
    b->frame = frame_;
    const pattern::Rect damage = frame_ == 0 ? all : l.region();

    wl_surface_attach(surface_, b->buffer(), 0, 0);
    wl_surface_damage_buffer(surface_, int32_t(damage.x), int32_t(damage.y), int32_t(damage.width),
                             int32_t(damage.height));
    if (opts_.fps == 0 && l.mode != pattern::Mode::still) {
        frame_cb_ = wl_surface_frame(surface_);
        wl_callback_add_listener(frame_cb_, &kFrameListener, this);
    }
    pattern::write_stamp(l, frame_, opts_.stamp_time_ns.value_or(now_ns()), b->pixels(),
                         b->stride());
    if (opts_.translucent_rows)
        make_translucent(*b);
    wl_surface_commit(surface_);
    b->busy = true;
    ++frame_;
    if (frame_ == 1 && opts_.popup_width) {
        popup_ = Popup::create(window_, opts_.popup_x, opts_.popup_y, opts_.popup_width,
                               opts_.popup_height);
        if (!popup_)
            running_ = false;
    }
}

void PatternClient::make_translucent(ShmBuffer& b) const {
    const pattern::Layout& l = opts_.layout;
    for (uint32_t y = l.height - opts_.translucent_rows; y < l.height; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(b.pixels() + size_t(y) * b.stride());
        for (uint32_t x = 0; x < l.width; ++x)
            if (row[x] >> 24 == 0xff) // drawn this frame (not halved yet)
                row[x] = 0x80000000u | ((row[x] >> 1) & 0x007f7f7fu);
    }
}

int PatternClient::run() {
    while (running_) {
        while (wl_display_prepare_read(display_) != 0)
            wl_display_dispatch_pending(display_);
        if (wl_display_flush(display_) < 0 && errno != EAGAIN) {
            wl_display_cancel_read(display_);
            break;
        }
        pollfd fds[2] = {{wl_display_get_fd(display_), POLLIN, 0}, {timer_.get(), POLLIN, 0}};
        const int n = poll(fds, timer_ ? 2 : 1, -1);
        if (n < 0 && errno != EINTR) {
            wl_display_cancel_read(display_);
            VDM_ERRNO("poll");
            return 1;
        }
        if (n > 0 && (fds[0].revents & POLLIN)) {
            if (wl_display_read_events(display_) < 0)
                break;
        } else {
            wl_display_cancel_read(display_);
        }
        if (fds[0].revents & (POLLERR | POLLHUP))
            break;
        if (wl_display_dispatch_pending(display_) < 0)
            break;
        if (timer_ && (fds[1].revents & POLLIN)) {
            uint64_t expirations = 0;
            (void)!read(timer_.get(), &expirations, sizeof expirations);
            next_frame();
        }
    }
    if (running_) {
        VDM_ERROR("lost the compositor: %s", std::strerror(wl_display_get_error(display_)));
        return 1;
    }
    wl_display_roundtrip(display_); // the last commit reaches the compositor
    VDM_DEBUG("%" PRIu32 " frames committed, %" PRIu64 " ticks skipped", frame_, skipped_);
    return 0;
}

PatternClient::~PatternClient() {
    if (frame_cb_)
        wl_callback_destroy(frame_cb_);
    buffers_.clear();
}

[[noreturn]] void usage(int status) {
    std::fprintf(status ? stderr : stdout,
                 "usage: vdmabuf-pattern-client [--size WxH] [--mode still|full|square]\n"
                 "                              [--square X,Y] [--fps N] [--frames N]\n"
                 "                              [--translucent ROWS] [--scale N] "
                 "[--stamp-time NS]\n"
                 "                              [--popup WxH+X+Y] [--hold]\n");
    std::exit(status);
}

bool parse_pair(const char* s, char sep, uint32_t& a, uint32_t& b) {
    char* end = nullptr;
    errno = 0;
    const unsigned long x = std::strtoul(s, &end, 10);
    if (errno || end == s || *end != sep)
        return false;
    const char* second = end + 1;
    const unsigned long y = std::strtoul(second, &end, 10);
    if (errno || end == second || *end != '\0' || x > 0xffffff || y > 0xffffff)
        return false;
    a = uint32_t(x);
    b = uint32_t(y);
    return true;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help")
            usage(0);
        if (arg == "--hold") {
            o.hold = true;
            continue;
        }
        if (i + 1 >= argc)
            usage(2);
        const char* value = argv[++i];
        bool ok = true;
        if (arg == "--size") {
            ok = parse_pair(value, 'x', o.layout.width, o.layout.height);
        } else if (arg == "--square") {
            ok = parse_pair(value, ',', o.layout.square_x, o.layout.square_y);
        } else if (arg == "--mode") {
            const std::string m = value;
            ok = m == "still" || m == "full" || m == "square";
            o.layout.mode = m == "full"     ? pattern::Mode::full
                            : m == "square" ? pattern::Mode::square
                                            : pattern::Mode::still;
        } else if (arg == "--popup") {
            unsigned w = 0, h = 0;
            int x = 0, y = 0, used = 0;
            ok = std::sscanf(value, "%ux%u+%d+%d%n", &w, &h, &x, &y, &used) == 4 &&
                 value[used] == '\0' && w >= 1 && h >= 2 && w <= 4096 && h <= 4096;
            o.popup_width = w;
            o.popup_height = h;
            o.popup_x = x;
            o.popup_y = y;
        } else if (arg == "--translucent" || arg == "--scale" || arg == "--stamp-time") {
            char* end = nullptr;
            errno = 0;
            const unsigned long long n = std::strtoull(value, &end, 10);
            ok = errno == 0 && end != value && *end == '\0';
            if (arg == "--translucent") {
                ok = ok && n <= 0xffffff;
                o.translucent_rows = uint32_t(n);
            } else if (arg == "--scale") {
                ok = ok && n >= 1 && n <= 8;
                o.scale = uint32_t(n);
            } else {
                o.stamp_time_ns = n;
            }
        } else if (arg == "--fps" || arg == "--frames") {
            char* end = nullptr;
            const unsigned long long n = std::strtoull(value, &end, 10);
            ok = end != value && *end == '\0' && (arg == "--frames" || n <= 1000);
            if (arg == "--fps")
                o.fps = uint32_t(n);
            else
                o.frames = n;
        } else {
            ok = false;
        }
        if (!ok) {
            std::fprintf(stderr, "vdmabuf-pattern-client: bad %s '%s'\n", arg.c_str(), value);
            usage(2);
        }
    }
    if (!o.layout.valid()) {
        std::fprintf(stderr, "vdmabuf-pattern-client: the square must lie inside the surface "
                             "(at y >= 1), and the surface be at least 8x2\n");
        usage(2);
    }
    if (o.layout.width % o.scale || o.layout.height % o.scale ||
        o.translucent_rows >= o.layout.height || o.translucent_rows % o.scale) {
        std::fprintf(stderr, "vdmabuf-pattern-client: the size and --translucent must divide by "
                             "--scale, and --translucent leave rows opaque\n");
        usage(2);
    }
    return o;
}

} // namespace
} // namespace vdmabuf::testclient

int main(int argc, char** argv) {
    using namespace vdmabuf::testclient;
    vdmabuf::log::set_program("pattern-client");
    const Options opts = parse(argc, argv);
    PatternClient client(opts);
    if (!client.connect())
        return 1;
    return client.run();
}
