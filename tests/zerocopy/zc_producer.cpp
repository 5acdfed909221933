// zc-producer SOCKET RESULTS FRAMES: the zero-copy lane's guest, a virtio-user
// front-end on vdmabufd's guest socket (vdmabufd runs in udmabuf mode). Two
// 640x480 XRGB8888 buffers, exported once; frame s is drawn in place into
// buffer (s - 1) % 2 with the pattern of seed s (tests/vm/vm_pattern.h), so from
// frame 3 on every frame rewrites a buffer the viewer has already imported: what
// the viewer shows comes through its cached EGLImage or not at all.
//
// Checks the release rule from the guest's side: a buffer may come back only
// after a newer frame was presented (the viewer holds it until the draw of its
// successor, and the fence of that draw, are done), never twice, in order.
// Writes "PASS name" / "FAIL name: why" lines, one "release seq=S newest=P" line
// per RELEASE, and "END failures=N".
//
// FRAMES "still": one frame and nothing after it, as a still desktop. The
// viewer must give the buffer back (DONE, with no newer frame) before the
// daemon's release timeout would take it; the producer then draws seed 2 into
// it without presenting, writes "overwritten" and waits to be killed: the
// viewer's screenshot must still be frame 1 (it no longer reads the dma-buf).
#include <vdmabuf/frontend/device.hpp>

#include "guest_checks.hpp"
#include "vm_pattern.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace vdmabuf::frontend;
using namespace vdmabuf::vmtest;

constexpr uint32_t kWidth = 640, kHeight = 480, kStride = kWidth * 4;
constexpr uint32_t kXrgb8888 = 0x34325258;

void draw(Allocation& a, uint32_t seed) {
    for (uint32_t y = 0; y < kHeight; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(a.data() + size_t(y) * kStride);
        for (uint32_t x = 0; x < kWidth; ++x)
            row[x] = vm_pattern_pixel(x, y, seed);
    }
}

struct Release {
    uint64_t seq;
    uint64_t newest; // the newest frame presented when it came back
    uint32_t reason;
};

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: zc-producer SOCKET RESULTS FRAMES\n");
        return 2;
    }
    out = std::fopen(argv[2], "w");
    if (!out)
        return 2;
    const bool still = !std::strcmp(argv[3], "still");
    const uint64_t frames = still ? 1 : std::strtoull(argv[3], nullptr, 10);
    DeviceOptions options;
    options.name = "zc";
    options.hello_timeout_ms = 20000; // TCG
    auto dev = Device::open(argv[1], options);
    check("open", dev != nullptr, std::strerror(errno));
    if (!dev)
        return 1;

    std::vector<Release> releases;
    uint64_t newest = 0;
    bool refreshed = false;
    std::vector<uint32_t> errors;
    Callbacks cb;
    cb.on_release = [&](const vdmabuf_id&, uint64_t seq, uint32_t, uint32_t reason) {
        releases.push_back({seq, newest, reason});
        std::fprintf(out, "release seq=%llu newest=%llu reason=%u\n", (unsigned long long)seq,
                     (unsigned long long)newest, reason);
        std::fflush(out); // the lane watches for releases while this runs
    };
    cb.on_refresh = [&](uint32_t) { refreshed = true; };
    cb.on_error = [&](uint32_t, uint32_t code, uint64_t) { errors.push_back(code); };
    dev->set_callbacks(cb);

    std::unique_ptr<Allocation> bufs[2];
    vdmabuf_id ids[2]{};
    BufferDesc desc;
    desc.fourcc = kXrgb8888;
    desc.width = kWidth;
    desc.height = kHeight;
    desc.planes[0] = {0, kStride};
    for (int i = 0; i < 2; ++i) {
        bufs[i] = dev->allocate(uint64_t(kStride) * kHeight);
        check("export", bufs[i] && dev->export_buffer(*bufs[i], desc, ids[i]), std::strerror(errno));
        if (!bufs[i])
            return 1;
    }
    // A viewer that connects asks for a frame (REFRESH): present only then, so
    // no frame is released unseen (NO_CONSUMER).
    check("viewer_connected", pump(*dev, [&] { return refreshed; }, 60000), "no REFRESH in 60 s");

    if (still) {
        draw(*bufs[0], 1);
        newest = 1;
        check("present", dev->present(ids[0], 0, 1, 0, {}), std::strerror(errno));
        check("still_frame_released", pump(*dev, [&] { return !releases.empty(); }, 60000),
              "frame 1 never came back");
        const bool done = !releases.empty() && releases[0].reason == VDMABUF_RELEASE_DONE;
        check("still_frame_done", done, "reason " + std::to_string(releases.empty() ? 0 : releases[0].reason));
        draw(*bufs[0], 2); // ours again: the viewer must not show this
        std::fprintf(out, "overwritten\n");
        std::fprintf(out, "END failures=%d\n", failures);
        std::fflush(out);
        pump(*dev, [] { return false; }, 60000); // until the lane stops us
        return failures ? 1 : 0;
    }
    auto released = [&](uint64_t seq) {
        for (const Release& r : releases)
            if (r.seq == seq)
                return true;
        return false;
    };
    for (uint64_t s = 1; s <= frames && !failures; ++s) {
        const int b = int((s - 1) % 2);
        // The buffer's previous frame must be back before it is drawn again.
        if (s > 2 && !pump(*dev, [&] { return released(s - 2); }, 30000)) {
            check("release_in_time", false, "frame " + std::to_string(s - 2) + " never released");
            break;
        }
        draw(*bufs[b], uint32_t(s));
        newest = s;
        check("present", dev->present(ids[b], 0, s, 0, {}), std::strerror(errno));
    }
    // The viewer exits after FRAMES frames and gives back what it held.
    pump(*dev, [&] { return releases.size() >= frames; }, 30000);

    check("all_released", releases.size() == frames,
          std::to_string(releases.size()) + " of " + std::to_string(frames));
    bool in_order = true, after_successor = true, done = true;
    for (size_t i = 0; i < releases.size(); ++i) {
        in_order = in_order && releases[i].seq == i + 1;
        if (releases[i].seq < frames)
            after_successor = after_successor && releases[i].newest > releases[i].seq;
        done = done && releases[i].reason == VDMABUF_RELEASE_DONE;
    }
    check("releases_in_order", in_order);
    check("released_after_successor_presented", after_successor,
          "a frame came back before a newer one was presented: not held until the flip");
    check("releases_done", done);
    check("no_errors", errors.empty(), std::to_string(errors.size()) + " errors");
    std::fprintf(out, "END failures=%d\n", failures);
    std::fclose(out);
    return failures ? 1 : 0;
}
