// The zero-copy path for real, where it can run (a QEMU guest with the patched
// vgem + udmabuf of the zerocopy lane, or a GPU with /dev/udmabuf): udmabufs
// made here from sealed memfds, imported through DmabufImporter, drawn by the
// viewer's Renderer into the headless FBO and read back; then the same through
// OutputPane, the viewer's own headless zero-copy path with its release rule.
// Skips (77) with the reason where EGL cannot import, /dev/udmabuf is missing
// or the import probe does not trust the path (kms_swrast on stock vgem).
#include "egl/fence.hpp"
#include "egl/renderer.hpp"
#include "import/dmabuf_importer.hpp"
#include "import/import_probe.hpp"
#include "import/udmabuf_memory.hpp"
#include "output_pane.hpp"
#include "present/presenter.hpp"
#include "viewer.hpp"

#include <vdmabuf/shared/png.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <drm_fourcc.h>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace vdmabuf::viewer {
namespace {

constexpr uint32_t kWidth = 640, kHeight = 480, kStride = kWidth * 4;

int g_failed = 0;

bool check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
    std::fflush(stdout);
    g_failed += !ok;
    return ok;
}

int skip(const std::string& why) {
    std::printf("SKIP: %s\n", why.c_str());
    return 77;
}

// Every pixel of a seed differs from the same pixel of the next seed, and rows
// and columns differ from each other: a stale, flipped or swizzled picture fails.
void fill(uint8_t* p, uint32_t seed) {
    for (uint32_t y = 0; y < kHeight; ++y)
        for (uint32_t x = 0; x < kWidth; ++x) {
            uint8_t* px = p + size_t(y) * kStride + size_t(x) * 4;
            px[0] = uint8_t(x + seed * 37);             // B
            px[1] = uint8_t(y + seed * 59);             // G
            px[2] = uint8_t(x / 3 + y / 2 + seed * 83); // R
            px[3] = uint8_t(0x11 * seed);               // X: not shown
        }
}

// Pixels of an ARGB8888/XRGB8888 image whose B, G, R differ from XRGB memory,
// or (ARGB) whose alpha is not opaque; every pixel when the size is wrong.
size_t differing(const Image& img, const uint8_t* mem) {
    if (img.width != kWidth || img.height != kHeight)
        return size_t(kWidth) * kHeight;
    size_t n = 0;
    for (uint32_t y = 0; y < kHeight; ++y)
        for (uint32_t x = 0; x < kWidth; ++x) {
            const uint8_t* a = img.pixels.data() + size_t(y) * img.stride + size_t(x) * 4;
            const uint8_t* b = mem + size_t(y) * kStride + size_t(x) * 4;
            n += a[0] != b[0] || a[1] != b[1] || a[2] != b[2] ||
                 (img.fourcc == DRM_FORMAT_ARGB8888 && a[3] != 0xff);
        }
    return n;
}

consumer::BufferInfo info_for(uint32_t counter, const UdmabufMemory& mem) {
    consumer::BufferInfo info;
    info.id = {1, counter, 0x1000u + counter};
    info.fourcc = DRM_FORMAT_XRGB8888;
    info.width = kWidth;
    info.height = kHeight;
    info.n_planes = 1;
    info.modifier = DRM_FORMAT_MOD_LINEAR;
    info.planes[0].stride = kStride;
    info.size = mem.size();
    return info;
}

// What vdmabufd's IMPORT reply carries in udmabuf mode: one dma-buf, one extent.
consumer::Import import_for(const consumer::BufferInfo& info, const UdmabufMemory& mem) {
    std::vector<UniqueFd> fds;
    fds.emplace_back(fcntl(mem.dmabuf_fd(), F_DUPFD_CLOEXEC, 0));
    vdmabuf_c_import_extent e{};
    e.fd_index = 0;
    e.len = mem.size();
    return consumer::Import(info.id, VDMABUF_IMPORT_DMABUF, mem.size(), std::move(fds), {e});
}

// Part 1: DmabufImporter + Renderer + the headless FBO, by hand.
void importer_checks(Presenter& presenter, UdmabufMemory& a, UdmabufMemory& b) {
    const EglContext& ctx = presenter.context();
    auto renderer = Renderer::create();
    if (!check(renderer != nullptr, "renderer program builds"))
        return;
    DmabufImporter importer(ctx);
    const consumer::BufferInfo ia = info_for(1, a), ib = info_for(2, b);
    if (!check(importer.check(ia).empty(), "XRGB8888 linear is importable: " + importer.check(ia)))
        return;
    presenter.set_content_size(kWidth, kHeight);
    // Draws tex at 1:1 into the FBO; the fence right after the draw must signal.
    auto draw = [&](GLuint tex, const char* what, bool opaque = true) -> Image {
        const TargetSize t = presenter.begin_frame();
        renderer->draw({tex, kWidth, kHeight, t.width, t.height, false, opaque, 1.0f});
        presenter.end_frame();
        EglFence fence = EglFence::create(ctx.display());
        check(bool(fence), std::string(what) + ": EGL_KHR_fence_sync fence after the draw");
        check(fence.wait(30'000'000'000ull) && fence.signaled(),
              std::string(what) + ": the draw's fence signalled");
        auto img = presenter.read_native();
        return img ? std::move(*img) : Image{};
    };

    fill(a.data(), 1);
    std::string why;
    const GLuint ta = importer.texture(ia, a.dmabuf_fd(), &why);
    if (!check(ta != 0, "import of a 640x480 XRGB8888 udmabuf " + why))
        return;
    size_t n = differing(draw(ta, "first draw"), a.data());
    check(n == 0, "first draw: exact pixels (" + std::to_string(n) + " differ)");

    fill(a.data(), 2); // the memfd rewritten in place, as a guest redraws a buffer
    const GLuint again = importer.texture(ia, a.dmabuf_fd(), &why);
    check(again == ta, "the second use is the cached texture (no re-import)");
    n = differing(draw(again, "redraw"), a.data());
    check(n == 0, "rewritten in place: new pixels through the cached EGLImage (" +
                      std::to_string(n) + " differ)");

    fill(b.data(), 3);
    const GLuint tb = importer.texture(ib, b.dmabuf_fd(), &why);
    if (!check(tb != 0 && tb != ta, "a second buffer gets its own image " + why))
        return;
    n = differing(draw(tb, "second buffer"), b.data());
    check(n == 0, "second buffer: exact pixels (" + std::to_string(n) + " differ)");
    n = differing(draw(ta, "first buffer again"), a.data());
    check(n == 0, "first buffer again: still its own pixels (" + std::to_string(n) + " differ)");

    importer.forget(ia.id);
    check(importer.cached(ia.id) == 0 && importer.cached(ib.id) == tb,
          "BUFFER_GONE forgets only that buffer's image");

    // The same memory as ARGB8888 (another buffer ID): alpha comes through
    // as stored, byte for byte (premultiplied, never blended here).
    consumer::BufferInfo argb = info_for(3, b);
    argb.fourcc = DRM_FORMAT_ARGB8888;
    const GLuint tc = importer.texture(argb, b.dmabuf_fd(), &why);
    if (!check(tc != 0, "import as ARGB8888 " + why))
        return;
    const Image img = draw(tc, "ARGB8888", false);
    size_t wrong = img.width == kWidth && img.height == kHeight ? 0 : size_t(kWidth) * kHeight;
    for (uint32_t y = 0; y < kHeight && !wrong; ++y)
        wrong += std::memcmp(img.pixels.data() + size_t(y) * img.stride,
                             b.data() + size_t(y) * kStride, size_t(kWidth) * 4) != 0;
    check(wrong == 0, "ARGB8888: every byte, alpha included, read back as stored (" +
                          std::to_string(wrong) + " rows differ)");
}

// Part 2: OutputPane, headless, as the viewer runs it for dma-buf imports.
void pane_checks(UdmabufMemory& a, UdmabufMemory& b, const std::string& dir) {
    std::string why;
    auto presenter = create_headless_presenter(&why);
    if (!check(presenter != nullptr, "a second headless presenter " + why))
        return;
    struct Release {
        uint32_t counter;
        uint64_t sequence, draws_then;
    };
    std::vector<Release> releases;
    ViewerStats stats;
    auto pane = OutputPane::create(
        0, std::move(presenter), stats,
        [&](const vdmabuf_id& id, uint64_t seq) {
            releases.push_back({id.counter, seq, stats.draws});
            return true;
        },
        ImportChoice::Auto);
    if (!check(pane != nullptr, "OutputPane over the headless presenter"))
        return;
    // As a daemon with a long --release-timeout would say: no still-frame
    // copy-out during this test's slow (TCG) draws.
    pane->set_daemon_release_timeout(600000);
    const consumer::BufferInfo ia = info_for(11, a), ib = info_for(12, b);
    BufferState sa{ia, import_for(ia, a), false}, sb{ib, import_for(ib, b), false};
    auto present = [&](BufferState& s, uint64_t seq) {
        consumer::PresentEvent p;
        p.id = s.info.id;
        p.sequence = seq;
        return pane->present(s, p);
    };
    auto shot = [&](const uint8_t* mem, const std::string& what) {
        const std::string png = dir + "/" + std::to_string(stats.frames) + ".png";
        if (!check(pane->screenshot(png, false, PngOptions{}), what + ": screenshot written"))
            return;
        auto img = read_png(png.c_str());
        const size_t n = img ? differing(*img, mem) : size_t(kWidth) * kHeight;
        check(n == 0, what + ": screenshot equals the buffer (" + std::to_string(n) + " differ)");
    };

    fill(a.data(), 4);
    check(present(sa, 1), "present A seq 1");
    ++stats.frames;
    check(stats.import_path == "dmabuf" && stats.bytes_last == 0,
          "A seq 1 took the zero-copy path, 0 bytes copied (path " + stats.import_path + ")");
    pane->render();
    const uint64_t draw_a = stats.draws;
    check(draw_a == 1, "A drawn into the FBO (draws " + std::to_string(stats.draws) + ")");
    shot(a.data(), "A seq 1");

    fill(b.data(), 5);
    check(present(sb, 2), "present B seq 2");
    ++stats.frames;
    pane->reap(false);
    check(releases.empty(), "A is not released before a draw of its successor is fenced");
    pane->render();
    const uint64_t draw_b = stats.draws;
    pane->reap(true);
    check(releases.size() == 1 && releases[0].counter == 11 && releases[0].sequence == 1,
          "A seq 1 released once B's draw's fence signalled");
    check(!releases.empty() && releases[0].draws_then >= draw_b, "A's release came after B's draw");
    shot(b.data(), "B seq 2");

    // The guest got A back and redraws it in place.
    fill(a.data(), 6);
    check(present(sa, 3), "present A seq 3 (rewritten in place)");
    ++stats.frames;
    pane->render();
    shot(a.data(), "A seq 3 through the cached EGLImage");
    pane->reap(true);
    check(releases.size() == 2 && releases[1].counter == 12 && releases[1].sequence == 2,
          "B seq 2 released after A seq 3's draw");

    pane->release_all();
    check(releases.size() == 3 && releases[2].counter == 11 && releases[2].sequence == 3,
          "leaving releases A seq 3");
    check(stats.releases_after_fence == 3 && stats.releases_before_fence == 0,
          "every release after a signalled fence (" + std::to_string(stats.releases_after_fence) +
              " after, " + std::to_string(stats.releases_before_fence) + " before)");
    const bool no_bytes =
        stats.bytes_total == 0 && stats.bytes_per_frame == std::vector<int64_t>{0, 0, 0};
    check(no_bytes, "0 bytes copied for each of the 3 frames");

    // The guest went away: a window dims its frame, headless does not.
    pane->set_waiting(true);
    shot(a.data(), "waiting, headless, not dimmed");

    // BUFFER_GONE of the shown buffer: its image dies, the picture stays (in
    // host memory, no longer the guest's pages).
    const std::vector<uint8_t> last(a.data(), a.data() + size_t(kStride) * kHeight);
    pane->buffer_gone(ia.id);
    fill(a.data(), 7);
    check(pane->has_frame(), "the shown buffer gone: the pane still has a frame");
    shot(last.data(), "after BUFFER_GONE, the last picture");
}

} // namespace
} // namespace vdmabuf::viewer

int main(int argc, char** argv) {
    using namespace vdmabuf::viewer;
    if (argc == 2 && argv[1] == kImportProbeFlag)
        return run_import_probe_child();
    std::string why;
    auto presenter = create_headless_presenter(&why);
    if (!presenter)
        return skip("no headless EGL: " + why);
    if (!presenter->context().make_current())
        return skip("eglMakeCurrent failed");
    {
        DmabufImporter importer(presenter->context());
        if (!importer.unavailable().empty())
            return skip(importer.unavailable());
        if (access("/dev/udmabuf", R_OK | W_OK) != 0)
            return skip("EGL can import dma-bufs but /dev/udmabuf is missing: nothing to import");
        // What the viewer decides, probe child included (this binary with the
        // hidden flag): a driver that would crash on the draw skips here.
        const ImportTrust& trust =
            dmabuf_import_trust(ImportChoice::Auto, presenter->context(), importer);
        if (!trust.trusted)
            return skip("the zero-copy path is not trusted here: " + trust.reason);
        std::printf("trusted: %s\n", trust.reason.c_str());
    }
    auto a = UdmabufMemory::create(size_t(kStride) * kHeight, &why);
    auto b = a ? UdmabufMemory::create(size_t(kStride) * kHeight, &why) : std::nullopt;
    if (!check(a && b, "two 640x480 udmabufs from sealed memfds " + why))
        return 1;
    importer_checks(*presenter, *a, *b);
    char dir[] = "/tmp/viewer-dmabuf-import.XXXXXX";
    if (check(mkdtemp(dir) != nullptr, "scratch directory")) {
        pane_checks(*a, *b, dir);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::printf("%s: %d failed\n", g_failed ? "FAIL" : "PASS", g_failed);
    return g_failed ? 1 : 0;
}
