#define VDM_LOG_SCOPE "present"
#include "present/presenter.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::viewer {

std::unique_ptr<Presenter> create_presenter(const std::string& name,
                                            const PresenterOptions& options) {
    std::string tried;
    auto attempt = [&](const char* which) -> std::unique_ptr<Presenter> {
        std::string why;
        std::unique_ptr<Presenter> p;
        if (std::string(which) == "wayland")
            p = create_wayland_presenter(options, &why);
        else if (std::string(which) == "x11")
            p = create_x11_presenter(options, &why);
        else
            p = create_headless_presenter(&why);
        if (!p)
            tried += std::string(tried.empty() ? "" : "; ") + which + ": " + why;
        return p;
    };
    if (name != "auto") {
        if (name != "wayland" && name != "x11" && name != "headless") {
            VDM_ERROR("unknown presenter '%s' (auto|wayland|x11|headless)", name.c_str());
            return nullptr;
        }
        auto p = attempt(name.c_str());
        if (p)
            VDM_INFO("presenter: %s (requested)", p->name());
        else
            VDM_ERROR("presenter %s cannot start: %s", name.c_str(), tried.c_str());
        return p;
    }
    for (const char* which : {"wayland", "x11", "headless"}) {
        if (auto p = attempt(which)) {
            VDM_INFO("presenter: %s (auto%s%s)", p->name(), tried.empty() ? "" : "; skipped ",
                     tried.c_str());
            return p;
        }
    }
    VDM_ERROR("no presenter can start: %s", tried.c_str());
    return nullptr;
}

} // namespace vdmabuf::viewer
