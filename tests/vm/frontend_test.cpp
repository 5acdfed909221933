// vm-frontend-test RESULTS_DIR: libvdmabuf-guest's kernel frontend (KernelDevice)
// against the real driver, inside the VM lane's guest. Uses output 1, which no viewer
// watches, so every frame comes back as RELEASE NO_CONSUMER. Writes
// RESULTS_DIR/frontend.txt: "PASS name" / "FAIL name: why" lines and "END failures=N".
// Device::export_dmabuf() runs on a vgem dumb buffer (a foreign dma-buf).
#include <vdmabuf/frontend/device.hpp>

#include "guest_checks.hpp"
#include "vm_pattern.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace vdmabuf::frontend;
using namespace vdmabuf::vmtest;

struct Seen {
    std::vector<uint64_t> released; // sequences
    std::vector<uint32_t> reasons;
    std::vector<std::pair<uint32_t, uint64_t>> errors; // code, tag
};

constexpr uint32_t kXrgb8888 = 0x34325258;

BufferDesc pattern_desc() {
    BufferDesc d;
    d.fourcc = kXrgb8888;
    d.width = VM_PATTERN_WIDTH;
    d.height = VM_PATTERN_HEIGHT;
    d.planes[0] = {0, VM_PATTERN_STRIDE};
    return d;
}

// The PRIME fd of a vgem dumb buffer of the pattern's size, or -1.
int vgem_dmabuf() {
    for (int i = 0; i < 8; ++i) {
        const std::string path = "/dev/dri/card" + std::to_string(i);
        const int card = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (card < 0)
            continue;
        char name[16] = {};
        drm_version v{};
        v.name = name;
        v.name_len = sizeof name - 1;
        drm_mode_create_dumb cd{};
        cd.width = VM_PATTERN_WIDTH;
        cd.height = VM_PATTERN_HEIGHT;
        cd.bpp = 32;
        drm_prime_handle ph{};
        ph.flags = DRM_CLOEXEC | DRM_RDWR;
        int fd = -1;
        if (::ioctl(card, DRM_IOCTL_VERSION, &v) == 0 && std::strcmp(name, "vgem") == 0 &&
            ::ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &cd) == 0) {
            ph.handle = cd.handle;
            if (::ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) == 0)
                fd = ph.fd;
        }
        ::close(card); // the dma-buf keeps the object
        if (fd >= 0)
            return fd;
    }
    return -1;
}

} // namespace

int main(int argc, char** argv) {
    const std::string dir = argc > 1 ? argv[1] : "/results";
    out = std::fopen((dir + "/frontend.txt").c_str(), "w");
    if (!out)
        return 2;
    DeviceOptions options;
    options.name = "vmguest";
    auto dev = Device::open("/dev/virtio-vdmabuf", options);
    check("open", dev != nullptr, std::strerror(errno));
    if (!dev)
        return 1;
    check("identity", dev->name() == "vmguest" && dev->guest_id() != 0 && dev->max_buffers() >= 8,
          dev->name());
    Seen seen;
    Callbacks cb;
    cb.on_release = [&](const vdmabuf_id&, uint64_t seq, uint32_t, uint32_t reason) {
        seen.released.push_back(seq);
        seen.reasons.push_back(reason);
    };
    cb.on_error = [&](uint32_t, uint32_t code, uint64_t tag) { seen.errors.push_back({code, tag}); };
    dev->set_callbacks(cb);

    auto alloc = dev->allocate(VM_PATTERN_STRIDE * VM_PATTERN_HEIGHT);
    check("allocate", alloc && alloc->size() >= VM_PATTERN_STRIDE * VM_PATTERN_HEIGHT &&
                          alloc->size() % 4096 == 0 && alloc->extents().empty());
    if (!alloc)
        return 1;
    auto* px = reinterpret_cast<uint32_t*>(alloc->data());
    for (uint32_t y = 0; y < VM_PATTERN_HEIGHT; ++y)
        for (uint32_t x = 0; x < VM_PATTERN_WIDTH; ++x)
            px[y * VM_PATTERN_WIDTH + x] = vm_pattern_pixel(x, y, 3);

    vdmabuf_id id{};
    check("export", dev->export_buffer(*alloc, pattern_desc(), id) && id.guest == dev->guest_id() &&
                        id.counter != 0);
    for (uint64_t seq = 1; seq <= 2; ++seq) {
        check("present", dev->present(id, 1, seq, 0, {}), std::strerror(errno));
        check("release_delivered",
              pump(*dev, [&] { return seen.released.size() == seq; }) &&
                  seen.released.back() == seq &&
                  seen.reasons.back() == VDMABUF_RELEASE_NO_CONSUMER,
              "no RELEASE NO_CONSUMER for frame " + std::to_string(seq));
    }

    // Refusals come back through on_error with the request's tag, at dispatch().
    uint64_t tag = 0;
    vdmabuf_id bad_id{};
    BufferDesc bad = pattern_desc();
    bad.fourcc = 0x20202020;
    auto other = dev->allocate(VM_PATTERN_STRIDE * VM_PATTERN_HEIGHT);
    check("device_refusal_queued", other && dev->export_buffer(*other, bad, bad_id, &tag));
    check("device_refusal_reported",
          pump(*dev, [&] { return !seen.errors.empty(); }) &&
              seen.errors.back() == std::make_pair(uint32_t(VDMABUF_RESP_ERR_INVALID_FORMAT), tag));
    vdmabuf_id unknown = id;
    unknown.counter += 1000;
    check("present_unknown_queued", dev->present(unknown, 1, 10, 0, {}, &tag));
    check("present_unknown_reported",
          pump(*dev, [&] { return seen.errors.size() == 2; }) &&
              seen.errors.back() == std::make_pair(uint32_t(VDMABUF_RESP_ERR_INVALID_ID), tag));
    errno = 0;
    const uint8_t raw[16] = {};
    check("send_raw_enotsup", !dev->send_raw(raw) && errno == ENOTSUP);
    // The interactive requests go through SEND with the features HELLO negotiated.
    check("features", dev->features() == kAllFeatures, std::to_string(dev->features()));
    check("announce_output", dev->announce_output(2, true, 800, 600, 60000, "VM-3"),
          std::strerror(errno));
    const std::vector<uint8_t> arrow(16 * 16 * 4, 0xff);
    check("set_cursor", dev->set_cursor(2, 16, 16, 1, 1, arrow), std::strerror(errno));
    check("move_cursor", dev->move_cursor(2, 5, 7, true), std::strerror(errno));
    errno = 0;
    check("set_cursor_checked", !dev->set_cursor(2, 200, 16, 0, 0, arrow) && errno == EINVAL);
    check("output_gone", dev->announce_output(2, false, 0, 0, 0, "VM-3"), std::strerror(errno));

    // The driver keeps exported pages: dropping the Allocation first is safe.
    vdmabuf_id id2{};
    check("export_second", other && dev->export_buffer(*other, pattern_desc(), id2));
    other.reset();
    check("unexport_after_allocation_gone", dev->unexport(id2) && dev->unexport(id));

    // Any dma-buf: a vgem buffer, exported, presented, released, unexported.
    const int vg = vgem_dmabuf();
    check("vgem_dmabuf", vg >= 0, "no vgem dumb buffer");
    vdmabuf_id fid{};
    BufferDesc past = pattern_desc();
    past.planes[0].offset = 8192;
    errno = 0;
    check("export_dmabuf_plane_past_end",
          vg >= 0 && !dev->export_dmabuf(vg, past, fid) && errno == EINVAL, std::strerror(errno));
    check("export_dmabuf",
          vg >= 0 && dev->export_dmabuf(vg, pattern_desc(), fid) && fid.counter != 0,
          std::strerror(errno));
    if (vg >= 0)
        ::close(vg); // the driver holds the dma-buf while it is exported
    check("present_dmabuf", fid.counter && dev->present(fid, 1, 3, 0, {}), std::strerror(errno));
    check("release_dmabuf", pump(*dev, [&] { return seen.released.size() == 3; }),
          "no RELEASE for the vgem buffer's frame");
    check("unexport_dmabuf", fid.counter && dev->unexport(fid));

    pump(*dev, [] { return false; }, 300);
    check("no_unexpected_errors", seen.errors.size() == 2,
          std::to_string(seen.errors.size()) + " errors");
    const DeviceCounters c = dev->counters();
    check("counters", c.releases == 3 && c.responses_error == 2 && c.responses_ok >= 9,
          "releases " + std::to_string(c.releases) + " errors " + std::to_string(c.responses_error) +
              " ok " + std::to_string(c.responses_ok));
    std::fprintf(out, "END failures=%d\n", failures);
    std::fclose(out);
    return failures ? 1 : 0;
}
