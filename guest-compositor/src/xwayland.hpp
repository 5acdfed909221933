// Xwayland on request (--xwayland): lazily started X server; X11 windows become
// Views (decorated, cascaded), override-redirect windows (menus, tooltips) are
// placed where X puts them. DISPLAY is exported to the startup command.
#pragma once

#include <memory>
#include <string>

namespace vdmabuf::compositor {

class Server;

class XwaylandShell {
public:
    // nullptr (logged) when Xwayland cannot be set up or was not built in.
    [[nodiscard]] static std::unique_ptr<XwaylandShell> create(Server& server);
    virtual ~XwaylandShell() = default;
    [[nodiscard]] virtual std::string display_name() const = 0;

protected:
    XwaylandShell() = default;
};

} // namespace vdmabuf::compositor
