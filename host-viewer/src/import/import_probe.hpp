// Whether the zero-copy path (DmabufImporter) may be used, decided once per
// process and logged once.
//
// The extension string is not enough: Mesa's kms_swrast advertises
// EGL_EXT_image_dma_buf_import even where importing a foreign dma-buf makes
// llvmpipe SIGSEGV on the first draw (stock vgem, virtio-gpu in a QEMU guest;
// host-viewer/README.md "Zero copy"). A crash there cannot be caught
// in-process, so on a software renderer the path is tried first in a child
// process: the viewer's own binary run again with kImportProbeFlag, which
// imports a udmabuf it made, draws it, reads it back and compares
// (run_import_probe_child()). A fresh exec, not a fork, because the parent
// already has EGL/llvmpipe threads and locks a forked child would inherit
// half-held. The child uses the surfaceless platform whatever the parent's:
// a window platform's driver is assumed to import as the surfaceless one on
// the same device does. A hardware renderer is trusted on its extension.
#pragma once

#include "egl/context.hpp"
#include "import/dmabuf_importer.hpp"
#include "import/import_choice.hpp"

#include <string>
#include <string_view>

namespace vdmabuf::viewer {

struct ImportTrust {
    bool trusted = false;
    std::string reason; // for the log line: why trusted or not
};

// The verdict for `importer` on `ctx` (current). Decided, and logged at info,
// the first time; later calls return the same verdict (one process, one GL
// driver). The first call may block while the probe child runs (seconds under
// QEMU TCG): make it before any PRESENT is held.
[[nodiscard]] const ImportTrust& dmabuf_import_trust(ImportChoice choice, const EglContext& ctx,
                                                     const DmabufImporter& importer);

// Whether the guest's dma-bufs may go to the host compositor itself (the
// Wayland window's zwp_linux_dmabuf_v1 path), decided once and logged. A
// compositor's renderer on a machine whose driver faults on a foreign
// dma-buf (kms_swrast on a stock vgem) would crash the user's session, not
// the viewer: with /dev/udmabuf here, the probe child (surfaceless EGL, what
// a compositor on this machine renders with) must import exactly first.
// Without /dev/udmabuf no dma-buf can come (vdmabufd runs on this machine):
// trusted. --import copy: never; --import dmabuf: without a probe.
[[nodiscard]] const ImportTrust& compositor_dmabuf_trust(ImportChoice choice);

// GL_RENDERER llvmpipe/softpipe/"Software Rasterizer", or an EGL driver
// named *swrast.
[[nodiscard]] bool is_software_renderer(const EglContext& ctx);

// Runs the probe child (/proc/self/exe kImportProbeFlag) and reads its
// verdict; kills it after timeout_ms. The reason names how it ended
// ("probe child died of SIGSEGV").
[[nodiscard]] ImportTrust probe_import_in_child(int timeout_ms);

// The hidden first argument that makes a binary linked with this library run
// run_import_probe_child() instead of itself (vdmabuf-viewer's main, the
// import test's main).
inline constexpr std::string_view kImportProbeFlag = "--probe-dmabuf-import";
// The child's whole life: surfaceless EGL, a 64x48 XRGB8888 udmabuf imported
// through DmabufImporter, drawn by the viewer's Renderer into the headless
// FBO, read back and compared; rewritten in place and drawn again without
// re-importing. Prints "ok" or "fail: REASON" on stdout; exit 0 or 1. No core
// file when the driver crashes (the crash is the answer).
[[nodiscard]] int run_import_probe_child();

} // namespace vdmabuf::viewer
