// vdmabuf-device-demo: README command 1 until the compositor and viewer land.
// Starts a real vdmabufd, a guest (virtio-user) that draws numbered frames
// into three buffers in its guest memory and presents them with partial
// damage, and a consumer that imports each buffer once, checks every pixel of
// every frame against an independently computed image, and releases it.
// Prints the figures and writes the last frame the consumer saw as a PNG.
#include <drm_fourcc.h>
#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/time.hpp>

#include "actors.hpp"
#include "daemon_process.hpp"

using namespace vdmabuf;

namespace {

constexpr uint32_t kWidth = 640, kHeight = 400, kStride = kWidth * 4, kSquare = 64;

uint32_t square_x(uint64_t frame) { return uint32_t(frame * 7 % (kWidth - kSquare)); }

// The whole picture of frame f, a pure function of f: the guest draws it, the
// consumer recomputes it to check what it received.
void draw_frame(uint8_t* dst, uint64_t frame) {
    const uint32_t sx = square_x(frame);
    for (uint32_t y = 0; y < kHeight; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(dst + size_t(y) * kStride);
        for (uint32_t x = 0; x < kWidth; ++x) {
            bool in_square = x >= sx && x < sx + kSquare && y >= 160 && y < 160 + kSquare;
            row[x] = in_square ? 0xffe0a020u
                               : 0xff000000u | (x * 255 / kWidth) << 16 | (y * 255 / kHeight) << 8 | 0x60;
        }
    }
    // Frame number in the first row, one pixel per byte, so a torn frame shows.
    auto* row0 = reinterpret_cast<uint32_t*>(dst);
    for (int i = 0; i < 8; ++i)
        row0[i] = 0xff000000u | uint32_t((frame >> (8 * i)) & 0xff);
}

struct Args {
    uint64_t frames = 600;
    std::string png = "out/device-demo.png";
    bool scattered = false;
};

std::optional<Args> parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            a.frames = strtoull(argv[++i], nullptr, 10);
        else if (!strcmp(argv[i], "--screenshot") && i + 1 < argc)
            a.png = argv[++i];
        else if (!strcmp(argv[i], "--scattered"))
            a.scattered = true;
        else {
            printf("usage: vdmabuf-device-demo [--frames N] [--screenshot FILE.png] [--scattered]\n");
            return std::nullopt;
        }
    }
    return a;
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("demo");
    // Quiet children too; VDMABUF_LOG=info shows every connect and disconnect.
    setenv("VDMABUF_LOG", getenv("VDMABUF_LOG") ? getenv("VDMABUF_LOG") : "warn", 1);
    log::init_from_env();
    auto args = parse(argc, argv);
    if (!args)
        return 2;

    printf("[1/4] starting vdmabufd\n");
    auto daemon = harness::DaemonProcess::start();
    if (!daemon) {
        fprintf(stderr, "demo: vdmabufd did not start (see its log above)\n");
        return 1;
    }
    printf("[2/4] connecting a consumer and a virtio-user guest\n");
    auto viewer = harness::ViewerActor::connect(daemon->consumer_socket());
    frontend::DeviceOptions opts;
    opts.name = "demo-guest";
    opts.memory_size = 64 << 20;
    opts.scattered = args->scattered;
    auto guest = harness::GuestActor::open(daemon->guest_socket(), opts);
    if (!viewer || !guest) {
        fprintf(stderr, "demo: could not connect to vdmabufd\n");
        return 1;
    }

    harness::ExportedBuffer bufs[3];
    for (auto& b : bufs) {
        b = harness::export_pattern(*guest, kWidth, kHeight, 0);
        if (!b.memory) {
            fprintf(stderr, "demo: export failed\n");
            return 1;
        }
    }
    printf("[3/4] presenting %llu frames (%ux%u XRGB8888, 3 buffers)\n",
           (unsigned long long)args->frames, kWidth, kHeight);

    std::map<uint32_t, consumer::Import> imports; // by ID counter: one import per buffer
    std::vector<uint8_t> expected(size_t(kStride) * kHeight);
    uint64_t verified = 0, mismatched = 0, damage_rects = 0;
    Percentiles rtt(args->frames), commit_to_consumer(args->frames);
    std::vector<uint8_t> last_frame;
    std::vector<uint64_t> sent_at(args->frames + 1);

    consumer::Callbacks cb;
    consumer::Client* client = viewer->client.get();
    cb.on_present = [&](const consumer::PresentEvent& p) {
        auto it = imports.find(p.id.counter);
        if (it == imports.end()) {
            auto imp = client->import(p.id);
            if (!imp) {
                ++mismatched;
                client->release(p.id, p.sequence);
                return;
            }
            it = imports.emplace(p.id.counter, std::move(*imp)).first;
        }
        const uint8_t* pixels = it->second.map();
        commit_to_consumer.add(now_ns() - p.guest_time_ns);
        draw_frame(expected.data(), p.sequence);
        if (pixels && !memcmp(pixels, expected.data(), expected.size()))
            ++verified;
        else
            ++mismatched;
        damage_rects += p.n_damage;
        if (p.sequence == args->frames && pixels)
            last_frame.assign(pixels, pixels + expected.size());
        client->release(p.id, p.sequence);
    };
    client->set_callbacks(std::move(cb));

    uint64_t released = 0;
    frontend::Callbacks gcb;
    bool busy[3] = {false, false, false};
    gcb.on_release = [&](const vdmabuf_id& id, uint64_t seq, uint32_t, uint32_t) {
        for (int i = 0; i < 3; ++i)
            if (bufs[i].id.counter == id.counter)
                busy[i] = false;
        if (seq <= args->frames)
            rtt.add(now_ns() - sent_at[seq]);
        ++released;
    };
    guest->device->set_callbacks(std::move(gcb));

    const uint64_t t0 = now_ns();
    uint64_t next = 1;
    pollfd fds[2] = {{guest->device->fd(), POLLIN, 0}, {client->fd(), POLLIN, 0}};
    while (released < args->frames) {
        for (int i = 0; i < 3 && next <= args->frames; ++i) {
            if (busy[i])
                continue;
            draw_frame(bufs[i].memory->data(), next);
            // What changed since the previous frame: the square's old and new places.
            vdmabuf_rect damage[2] = {{square_x(next - 1), 160, kSquare, kSquare},
                                      {square_x(next), 160, kSquare, kSquare}};
            vdmabuf_rect row0{0, 0, 8, 1};
            vdmabuf_rect all[3] = {damage[0], damage[1], row0};
            sent_at[next] = now_ns();
            if (!guest->device->present(bufs[i].id, 0, next, sent_at[next], all))
                break;
            busy[i] = true;
            ++next;
        }
        poll(fds, 2, 1000);
        guest->device->dispatch();
        if (client->dispatch() < 0 || guest->lost) {
            fprintf(stderr, "demo: lost the daemon\n");
            return 1;
        }
        if (now_ns() - t0 > 60ull * 1000000000ull) {
            fprintf(stderr, "demo: timed out after 60 s with %llu of %llu frames released\n",
                    (unsigned long long)released, (unsigned long long)args->frames);
            return 1;
        }
    }
    const double seconds = double(now_ns() - t0) / 1e9;

    printf("[4/4] writing %s\n", args->png.c_str());
    std::error_code ec;
    if (auto dir = std::filesystem::path(args->png).parent_path(); !dir.empty())
        std::filesystem::create_directories(dir, ec);
    bool png_ok = !last_frame.empty() &&
                  write_png(args->png.c_str(), last_frame.data(), kWidth, kHeight, kStride,
                            DRM_FORMAT_XRGB8888);

    const uint32_t mode = client->import_mode();
    printf("\nvdmabuf device demo\n");
    printf("  frames presented      %llu (%llu damage rects)\n", (unsigned long long)args->frames,
           (unsigned long long)damage_rects);
    printf("  frames verified       %llu exact, %llu wrong\n", (unsigned long long)verified,
           (unsigned long long)mismatched);
    printf("  rate                  %.0f frames/s\n", double(args->frames) / seconds);
    printf("  round trip            p50 %.1f us, p99 %.1f us (present -> consumer checks every pixel -> release)\n",
           double(rtt.median()) / 1000, double(rtt.percentile(99)) / 1000);
    printf("  commit -> consumer    p50 %.1f us, p99 %.1f us\n",
           double(commit_to_consumer.median()) / 1000,
           double(commit_to_consumer.percentile(99)) / 1000);
    printf("  import path           %s, %zu imports for %llu frames\n",
           mode == VDMABUF_IMPORT_DMABUF ? "udmabuf dma-buf" : "guest memfd mapped read-only",
           imports.size(), (unsigned long long)args->frames);
    printf("  bytes copied/frame    0 (the consumer reads guest memory in place)\n");
    printf("  screenshot            %s\n", png_ok ? args->png.c_str() : "(failed)");
    // Close the device before the buffers: the session's end retires every
    // export, so their pages can be freed rather than leaked.
    guest.reset();
    return mismatched == 0 && verified == args->frames && png_ok ? 0 : 1;
}
