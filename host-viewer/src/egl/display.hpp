// One EGLDisplay on one platform (surfaceless, X11, Wayland), initialised and
// terminated by this object, plus the extension entry points the viewer uses.
#pragma once

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <memory>
#include <string>

namespace vdmabuf::viewer {

// EGL_KHR_fence_sync, EGL_KHR_image_base, EGL_EXT_image_dma_buf_import(_modifiers):
// loaded with eglGetProcAddress because libglvnd exports only core EGL.
struct EglProcs {
    PFNEGLCREATESYNCKHRPROC create_sync = nullptr;
    PFNEGLDESTROYSYNCKHRPROC destroy_sync = nullptr;
    PFNEGLCLIENTWAITSYNCKHRPROC client_wait_sync = nullptr;
    PFNEGLCREATEIMAGEKHRPROC create_image = nullptr;
    PFNEGLDESTROYIMAGEKHRPROC destroy_image = nullptr;
    PFNEGLQUERYDMABUFFORMATSEXTPROC query_dmabuf_formats = nullptr;
    PFNEGLQUERYDMABUFMODIFIERSEXTPROC query_dmabuf_modifiers = nullptr;
};

class EglDisplay {
public:
    // platform: EGL_PLATFORM_SURFACELESS_MESA, EGL_PLATFORM_X11_KHR or
    // EGL_PLATFORM_WAYLAND_KHR; native: the Display* / wl_display* (null for
    // surfaceless). nullptr (logged) on failure.
    [[nodiscard]] static std::unique_ptr<EglDisplay> create(EGLenum platform, void* native);
    ~EglDisplay();
    EglDisplay(const EglDisplay&) = delete;
    EglDisplay& operator=(const EglDisplay&) = delete;

    [[nodiscard]] EGLDisplay get() const noexcept { return dpy_; }
    [[nodiscard]] bool has(const char* extension) const;
    [[nodiscard]] const EglProcs& procs() const noexcept { return procs_; }
    // The Mesa driver behind the display ("kms_swrast", "iris") where
    // EGL_MESA_query_driver says; "" elsewhere.
    [[nodiscard]] const std::string& driver_name() const noexcept { return driver_name_; }
    // A GLES2-renderable config; with window = true also EGL_WINDOW_BIT.
    [[nodiscard]] EGLConfig choose_config(bool window) const;

private:
    explicit EglDisplay(EGLDisplay dpy) : dpy_(dpy) {}
    EGLDisplay dpy_;
    std::string extensions_;
    std::string driver_name_;
    EglProcs procs_;
};

// The last EGL error as a name ("EGL_BAD_MATCH").
[[nodiscard]] const char* egl_error_name(EGLint error);

} // namespace vdmabuf::viewer
