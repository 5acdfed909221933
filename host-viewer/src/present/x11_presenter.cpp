#include "present/presenter.hpp"

namespace vdmabuf::viewer {

std::unique_ptr<Presenter> create_x11_presenter(const PresenterOptions&, std::string* why) {
    *why = "the X11 presenter is not implemented yet";
    return nullptr;
}

} // namespace vdmabuf::viewer
