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
    void output_resized(wlr_output* output) override;
    void output_gone() override;

    // xdg-decoration: the compositor always answers server-side.
    void attach_decoration(wlr_xdg_toplevel_decoration_v1* decoration);
    // Keeps a popup of this window inside the window's output.
    void unconstrain_popup(wlr_xdg_popup* popup);

private:
    void handle_commit();
    // Maximized / fullscreen as the client asked (xdg_toplevel.set_maximized ...).
    void apply_requested_state();
    // Covers `output` (configure with its size); nullptr: back to floating.
    void fill(wlr_output* output);

    wlr_output* fill_output_ = nullptr;
    wlr_box fill_box_{}; // its layout box when last filled
    int saved_x_ = 0, saved_y_ = 0;

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
