#define VDM_LOG_SCOPE "egl"
#include "egl/display.hpp"

#include <vdmabuf/shared/log.hpp>

#include <cstring>

namespace vdmabuf::viewer {

const char* egl_error_name(EGLint error) {
    switch (error) {
    case EGL_SUCCESS: return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
    case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
    case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE";
    case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
    case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE";
    case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
    case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
    case EGL_BAD_NATIVE_PIXMAP: return "EGL_BAD_NATIVE_PIXMAP";
    case EGL_BAD_NATIVE_WINDOW: return "EGL_BAD_NATIVE_WINDOW";
    case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST";
    default: return "EGL_(unknown error)";
    }
}

std::unique_ptr<EglDisplay> EglDisplay::create(EGLenum platform, void* native) {
    const char* client_ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
    if (!client_ext || !std::strstr(client_ext, "EGL_EXT_platform_base")) {
        VDM_ERROR("EGL_EXT_platform_base is missing");
        return nullptr;
    }
    auto get_platform_display = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(
        eglGetProcAddress("eglGetPlatformDisplayEXT"));
    if (!get_platform_display) {
        VDM_ERROR("eglGetProcAddress(eglGetPlatformDisplayEXT) failed");
        return nullptr;
    }
    EGLDisplay dpy = get_platform_display(platform, native, nullptr);
    if (dpy == EGL_NO_DISPLAY) {
        VDM_ERROR("eglGetPlatformDisplayEXT(0x%x) failed: %s", platform,
                  egl_error_name(eglGetError()));
        return nullptr;
    }
    EGLint major = 0, minor = 0;
    if (!eglInitialize(dpy, &major, &minor)) {
        VDM_ERROR("eglInitialize failed: %s", egl_error_name(eglGetError()));
        return nullptr;
    }
    std::unique_ptr<EglDisplay> d(new EglDisplay(dpy));
    const char* ext = eglQueryString(dpy, EGL_EXTENSIONS);
    d->extensions_ = ext ? ext : "";
    VDM_DEBUG("EGL %d.%d, vendor %s", major, minor, eglQueryString(dpy, EGL_VENDOR));
    auto load = [](auto& fn, const char* name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(eglGetProcAddress(name));
    };
    if (d->has("EGL_KHR_fence_sync")) {
        load(d->procs_.create_sync, "eglCreateSyncKHR");
        load(d->procs_.destroy_sync, "eglDestroySyncKHR");
        load(d->procs_.client_wait_sync, "eglClientWaitSyncKHR");
    }
    if (d->has("EGL_KHR_image_base")) {
        load(d->procs_.create_image, "eglCreateImageKHR");
        load(d->procs_.destroy_image, "eglDestroyImageKHR");
    }
    if (d->has("EGL_EXT_image_dma_buf_import_modifiers")) {
        load(d->procs_.query_dmabuf_formats, "eglQueryDmaBufFormatsEXT");
        load(d->procs_.query_dmabuf_modifiers, "eglQueryDmaBufModifiersEXT");
    }
    if (d->has("EGL_MESA_query_driver")) {
        PFNEGLGETDISPLAYDRIVERNAMEPROC driver_name = nullptr;
        load(driver_name, "eglGetDisplayDriverName");
        const char* name = driver_name ? driver_name(dpy) : nullptr;
        d->driver_name_ = name ? name : "";
        VDM_DEBUG("EGL driver: %s", d->driver_name_.c_str());
    }
    if (!eglBindAPI(EGL_OPENGL_ES_API)) {
        VDM_ERROR("eglBindAPI(EGL_OPENGL_ES_API) failed: %s", egl_error_name(eglGetError()));
        return nullptr;
    }
    return d;
}

EglDisplay::~EglDisplay() {
    eglMakeCurrent(dpy_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglTerminate(dpy_);
}

bool EglDisplay::has(const char* extension) const {
    // Whole-word match: "EGL_KHR_image" must not match "EGL_KHR_image_base".
    size_t len = std::strlen(extension);
    for (size_t pos = extensions_.find(extension); pos != std::string::npos;
         pos = extensions_.find(extension, pos + 1)) {
        bool start = pos == 0 || extensions_[pos - 1] == ' ';
        bool end = pos + len == extensions_.size() || extensions_[pos + len] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

EGLConfig EglDisplay::choose_config(bool window) const {
    const EGLint attribs[] = {
        EGL_SURFACE_TYPE, window ? EGL_WINDOW_BIT : 0,
        EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_ALPHA_SIZE, 0,
        EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT,
        EGL_NONE,
    };
    EGLConfig config = nullptr;
    EGLint n = 0;
    if (!eglChooseConfig(dpy_, attribs, &config, 1, &n) || n < 1) {
        VDM_ERROR("eglChooseConfig found no GLES2 config: %s", egl_error_name(eglGetError()));
        return nullptr;
    }
    return config;
}

} // namespace vdmabuf::viewer
