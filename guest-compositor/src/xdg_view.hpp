// An xdg-shell toplevel as a View; its popups are scene nodes under its surface tree.
#pragma once

#include "view.hpp"
#include "wlr/listener.hpp"

namespace vdmabuf::compositor {

class XdgView final : public View {
public:
    XdgView(Server& server, wlr_xdg_surface* xdg);
    ~XdgView() override;

    [[nodiscard]] wlr_surface* surface() const override { return xdg_->surface; }
    [[nodiscard]] wlr_xdg_surface* xdg() const { return xdg_; }
    void set_activated(bool activated) override;
    void close() override;

    // xdg-decoration: the compositor always answers server-side.
    void attach_decoration(wlr_xdg_toplevel_decoration_v1* decoration);
    // Keeps a popup of this window inside the window's output.
    void unconstrain_popup(wlr_xdg_popup* popup);

private:
    void handle_commit();

    wlr_xdg_surface* xdg_;
    wlr_xdg_toplevel_decoration_v1* decoration_ = nullptr;

    Listener<void> map_;
    Listener<void> unmap_;
    Listener<void> destroy_;
    Listener<void> commit_;
    Listener<void> request_maximize_;
    Listener<void> request_fullscreen_;
    Listener<void> request_move_;
    Listener<void> decoration_mode_;
    Listener<void> decoration_destroy_;
};

} // namespace vdmabuf::compositor
