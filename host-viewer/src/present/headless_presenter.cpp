// Headless: EGL on the surfaceless platform and an FBO at the guest's exact
// size, so a screenshot is the guest frame byte for byte. What the tests run.
#define VDM_LOG_SCOPE "headless"
#include "egl/framebuffer.hpp"
#include "present/presenter.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::viewer {
namespace {

class HeadlessPresenter final : public Presenter {
public:
    HeadlessPresenter(std::shared_ptr<EglDisplay> display, std::unique_ptr<EglContext> ctx)
        : display_(std::move(display)), ctx_(std::move(ctx)) {}
    ~HeadlessPresenter() override {
        if (ctx_->make_current())
            fb_.reset(); // GL names go while their context is current
    }
    const char* name() const override { return "headless"; }
    bool is_window() const override { return false; }
    std::pair<uint32_t, uint32_t> target_size() const override {
        return fb_ ? std::pair(fb_->width(), fb_->height()) : std::pair(0u, 0u);
    }
    static std::unique_ptr<EglContext> make_context(const std::shared_ptr<EglDisplay>& display) {
        // No surface, so no config is needed where EGL_KHR_no_config_context exists.
        EGLConfig config = display->has("EGL_KHR_no_config_context")
                               ? EGL_NO_CONFIG_KHR
                               : display->choose_config(false);
        auto ctx = EglContext::create(*display, config);
        if (!ctx || !ctx->make_current())
            return nullptr;
        return ctx;
    }
    const EglContext& context() const override { return *ctx_; }
    void set_content_size(uint32_t width, uint32_t height) override {
        if (fb_ && fb_->width() == width && fb_->height() == height)
            return;
        if (!ctx_->make_current())
            return;
        fb_ = Framebuffer::create(width, height);
    }
    TargetSize begin_frame() override {
        if (!ctx_->make_current() || !fb_)
            return {};
        fb_->bind();
        return {fb_->width(), fb_->height(), false};
    }
    bool end_frame() override {
        glFlush();
        return true;
    }
    std::optional<Image> read_native() override {
        if (!fb_ || !ctx_->make_current())
            return std::nullopt;
        fb_->bind();
        return fb_->read(*ctx_);
    }

private:
    // Order matters: the FBO, then the context, then the display go.
    std::shared_ptr<EglDisplay> display_;
    std::unique_ptr<EglContext> ctx_;
    std::unique_ptr<Framebuffer> fb_;
};

} // namespace

std::unique_ptr<Presenter> create_headless_presenter(std::string* why) {
    // One EglDisplay for every headless presenter (one per output): the
    // surfaceless platform has a single EGLDisplay, and terminating it for
    // one would end the others' contexts.
    static std::weak_ptr<EglDisplay> shared;
    std::shared_ptr<EglDisplay> display = shared.lock();
    if (!display)
        display = EglDisplay::create(EGL_PLATFORM_SURFACELESS_MESA, nullptr);
    shared = display;
    if (!display) {
        *why = "no EGL surfaceless platform (EGL_MESA_platform_surfaceless)";
        return nullptr;
    }
    if (!display->has("EGL_KHR_surfaceless_context")) {
        *why = "EGL_KHR_surfaceless_context is missing";
        return nullptr;
    }
    auto ctx = HeadlessPresenter::make_context(display);
    if (!ctx) {
        *why = "cannot create a GLES2 context";
        return nullptr;
    }
    return std::make_unique<HeadlessPresenter>(std::move(display), std::move(ctx));
}

} // namespace vdmabuf::viewer
