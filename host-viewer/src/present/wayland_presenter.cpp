#include "present/presenter.hpp"

namespace vdmabuf::viewer {

// Not written yet: auto falls through to X11 or headless.
std::unique_ptr<Presenter> create_wayland_presenter(const PresenterOptions&, std::string* why) {
    *why = "the Wayland presenter is not implemented yet";
    return nullptr;
}

} // namespace vdmabuf::viewer
