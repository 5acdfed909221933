// The probe child (import_probe.hpp): the zero-copy path exactly as the
// headless viewer runs it, on a dma-buf this process made, in a process
// whose crash costs nothing.
#define VDM_LOG_SCOPE "probe"
#include "egl/renderer.hpp"
#include "import/dmabuf_importer.hpp"
#include "import/import_probe.hpp"
#include "import/udmabuf_memory.hpp"
#include "present/presenter.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstdio>
#include <drm_fourcc.h>
#include <sys/prctl.h>
#include <sys/resource.h>

namespace vdmabuf::viewer {
namespace {

// Small and not square, rows unlike each other: a flip, a transposition or a
// channel swap all show.
constexpr uint32_t kWidth = 64, kHeight = 48, kStride = kWidth * 4;

void fill(uint8_t* p, uint32_t seed) {
    for (uint32_t y = 0; y < kHeight; ++y)
        for (uint32_t x = 0; x < kWidth; ++x) {
            uint8_t* px = p + size_t(y) * kStride + size_t(x) * 4;
            px[0] = uint8_t(x * 4 + seed);       // B
            px[1] = uint8_t(y * 5 + seed * 3);   // G
            px[2] = uint8_t((x ^ y) + seed * 7); // R
            px[3] = uint8_t(seed);               // X: never shown
        }
}

// Empty if the readback (ARGB8888, opaque) shows XRGB8888 memory `p`.
std::string compare(const Image& img, const uint8_t* p) {
    if (img.width != kWidth || img.height != kHeight)
        return "readback is " + std::to_string(img.width) + "x" + std::to_string(img.height);
    size_t wrong = 0;
    for (uint32_t y = 0; y < kHeight; ++y)
        for (uint32_t x = 0; x < kWidth; ++x) {
            const uint8_t* a = img.pixels.data() + size_t(y) * img.stride + size_t(x) * 4;
            const uint8_t* b = p + size_t(y) * kStride + size_t(x) * 4;
            wrong += a[0] != b[0] || a[1] != b[1] || a[2] != b[2] || a[3] != 0xff;
        }
    return wrong ? std::to_string(wrong) + " of " + std::to_string(kWidth * kHeight) +
                       " pixels differ"
                 : std::string();
}

int verdict(const std::string& failure) {
    std::printf("%s\n", failure.empty() ? "ok" : ("fail: " + failure).c_str());
    std::fflush(stdout);
    return failure.empty() ? 0 : 1;
}

std::string probe() {
    std::string why;
    auto presenter = create_headless_presenter(&why);
    if (!presenter)
        return "no headless EGL: " + why;
    const EglContext& ctx = presenter->context();
    if (!ctx.make_current())
        return "eglMakeCurrent failed";
    auto renderer = Renderer::create();
    if (!renderer)
        return "cannot build the renderer's GL program";
    // Before the importer: its images and textures go first.
    auto mem = UdmabufMemory::create(size_t(kStride) * kHeight, &why);
    if (!mem)
        return "cannot make a udmabuf: " + why;
    DmabufImporter importer(ctx);
    if (!importer.unavailable().empty())
        return importer.unavailable();
    consumer::BufferInfo info;
    info.id = {0xffffffffu, 1, 0};
    info.fourcc = DRM_FORMAT_XRGB8888;
    info.width = kWidth;
    info.height = kHeight;
    info.n_planes = 1;
    info.modifier = DRM_FORMAT_MOD_LINEAR;
    info.planes[0].offset = 0;
    info.planes[0].stride = kStride;
    info.size = mem->size();
    if (std::string c = importer.check(info); !c.empty())
        return c;
    fill(mem->data(), 1);
    const GLuint tex = importer.texture(info, mem->dmabuf_fd(), &why);
    if (!tex)
        return why;
    presenter->set_content_size(kWidth, kHeight);
    auto draw = [&]() -> std::optional<Image> {
        const TargetSize t = presenter->begin_frame();
        if (!t.width)
            return std::nullopt;
        // Where stock vgem or virtio-gpu makes llvmpipe crash.
        renderer->draw({tex, kWidth, kHeight, t.width, t.height, false, true, 1.0f});
        presenter->end_frame();
        return presenter->read_native();
    };
    auto first = draw();
    if (!first)
        return "cannot draw into the headless framebuffer";
    if (std::string c = compare(*first, mem->data()); !c.empty())
        return "first draw: " + c;
    // The guest rewrites a buffer in place and presents it again: the cached
    // image must show the new bytes.
    fill(mem->data(), 2);
    auto second = draw();
    if (!second)
        return "cannot draw into the headless framebuffer";
    if (std::string c = compare(*second, mem->data()); !c.empty())
        return "after rewriting in place: " + c;
    return {};
}

} // namespace

int run_import_probe_child() {
    // Exec'd as /proc/self/exe its name would be "exe" in ps and in the kernel
    // log of the driver it may crash.
    prctl(PR_SET_NAME, "vdmabuf-probe");
    log::set_program("vdmabuf-viewer-probe");
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    return verdict(probe());
}

} // namespace vdmabuf::viewer
