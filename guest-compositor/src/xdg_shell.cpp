#define VDM_LOG_SCOPE "xdg"
#include "output.hpp"
#include "seat.hpp"
#include "server.hpp"
#include "xdg_view.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::compositor {

XdgView::XdgView(Server& server, wlr_xdg_surface* xdg) : View(server), xdg_(xdg) {
    wlr_scene_node* content = wlr_scene_xdg_surface_create(&tree_->node, xdg);
    xdg->data = content; // popups hang below it
    set_content(content, 0, 0, 0, 0);

    map_.connect(&xdg->events.map, [this](void*) {
        place_and_show();
        // A client may ask for maximized or fullscreen before its first commit.
        if (xdg_->toplevel->requested.maximized || xdg_->toplevel->requested.fullscreen)
            apply_requested_state();
        server_.seat_->focus_view(this, xdg_->surface);
    });
    unmap_.connect(&xdg->events.unmap, [this](void*) {
        hide();
        server_.seat_->forget_view(this);
    });
    commit_.connect(&xdg->surface->events.commit, [this](void*) { handle_commit(); });
    request_maximize_.connect(&xdg->toplevel->events.request_maximize,
                              [this](void*) { apply_requested_state(); });
    request_fullscreen_.connect(&xdg->toplevel->events.request_fullscreen,
                                [this](void*) { apply_requested_state(); });
    request_move_.connect(&xdg->toplevel->events.request_move,
                          [this](void*) { server_.seat_->begin_move(this); });
    destroy_.connect(&xdg->events.destroy, [this](void*) {
        server_.remove_view(this); // last statement: deletes this
    });
}

XdgView::~XdgView() = default;

void XdgView::handle_commit() {
    wlr_box geo{};
    wlr_xdg_surface_get_geometry(xdg_, &geo);
    set_content(content_, geo.x, geo.y, geo.width, geo.height);
}

void XdgView::apply_requested_state() {
    if (!xdg_->added)
        return; // before the initial commit: applied on map
    const wlr_xdg_toplevel_requested& want = xdg_->toplevel->requested;
    wlr_xdg_toplevel_set_maximized(xdg_, want.maximized);
    wlr_xdg_toplevel_set_fullscreen(xdg_, want.fullscreen);
    if (!want.maximized && !want.fullscreen) {
        fill(nullptr);
        wlr_xdg_surface_schedule_configure(xdg_); // answer even when nothing changed
        return;
    }
    wlr_output* output = want.fullscreen && want.fullscreen_output
                             ? want.fullscreen_output
                             : server_.output_for(x_, y_);
    fill(output);
}

void XdgView::fill(wlr_output* output) {
    const wlr_box* box = output ? wlr_output_layout_get_box(server_.layout_.get(), output) : nullptr;
    if (!box) {
        if (fill_output_) {
            fill_output_ = nullptr;
            set_filled(false);
            wlr_xdg_toplevel_set_size(xdg_, 0, 0); // the client's own size again
            move_to(saved_x_, saved_y_);
        }
        return;
    }
    if (!fill_output_) {
        saved_x_ = x_;
        saved_y_ = y_;
    }
    fill_output_ = output;
    fill_box_ = *box;
    set_filled(true);
    wlr_xdg_toplevel_set_size(xdg_, static_cast<uint32_t>(box->width),
                              static_cast<uint32_t>(box->height));
    move_to(box->x, box->y);
}

void XdgView::output_resized(wlr_output* output) {
    if (output != fill_output_)
        return;
    const wlr_box* box = wlr_output_layout_get_box(server_.layout_.get(), output);
    // Only a real change configures the client again.
    if (box && (box->x != fill_box_.x || box->y != fill_box_.y ||
                box->width != fill_box_.width || box->height != fill_box_.height))
        fill(output);
}

void XdgView::output_gone() {
    if (!fill_output_)
        return;
    for (auto& output : server_.outputs_)
        if (output->wlr() == fill_output_) {
            fill(fill_output_); // still there; the layout may have moved it
            return;
        }
    // Gone (the pointer is only compared): fill the output the view is over now.
    fill(server_.output_for(x_, y_));
}

void XdgView::set_activated(bool activated) { wlr_xdg_toplevel_set_activated(xdg_, activated); }

void XdgView::close() { wlr_xdg_toplevel_send_close(xdg_); }

void XdgView::attach_decoration(wlr_xdg_toplevel_decoration_v1* decoration) {
    decoration_ = decoration;
    auto server_side = [this] {
        wlr_xdg_toplevel_decoration_v1_set_mode(decoration_,
                                                WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
        set_decorated(true);
    };
    decoration_mode_.connect(&decoration->events.request_mode, [server_side](void*) {
        server_side();
    });
    decoration_destroy_.connect(&decoration->events.destroy, [this](void*) {
        decoration_mode_.disconnect();
        decoration_destroy_.disconnect();
        decoration_ = nullptr;
        set_decorated(false);
    });
    server_side();
}

void XdgView::unconstrain_popup(wlr_xdg_popup* popup) {
    wlr_output* output = wlr_output_layout_output_at(server_.layout_.get(), x_, y_);
    if (!output)
        return;
    const wlr_box* box = wlr_output_layout_get_box(server_.layout_.get(), output);
    if (!box)
        return;
    // The box in the toplevel's window-geometry coordinates.
    wlr_box target{box->x - x_, box->y - y_, box->width, box->height};
    wlr_xdg_popup_unconstrain_from_box(popup, &target);
}

void Server::handle_new_xdg_surface(wlr_xdg_surface* surface) {
    if (surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
        wlr_xdg_surface* parent = wlr_xdg_surface_from_wlr_surface(surface->popup->parent);
        if (!parent || !parent->data)
            return;
        surface->data = wlr_scene_xdg_surface_create(static_cast<wlr_scene_node*>(parent->data),
                                                     surface);
        if (parent->role == WLR_XDG_SURFACE_ROLE_TOPLEVEL)
            for (auto& view : views_)
                if (auto* xdg_view = dynamic_cast<XdgView*>(view.get());
                    xdg_view && xdg_view->xdg() == parent)
                    xdg_view->unconstrain_popup(surface->popup);
        return;
    }
    if (surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
        return;
    add_view(std::make_unique<XdgView>(*this, surface));
}

void Server::handle_new_decoration(wlr_xdg_toplevel_decoration_v1* decoration) {
    for (auto& view : views_) {
        if (auto* xdg_view = dynamic_cast<XdgView*>(view.get());
            xdg_view && xdg_view->xdg() == decoration->surface) {
            xdg_view->attach_decoration(decoration);
            return;
        }
    }
    VDM_WARN("xdg-decoration for an unknown toplevel");
}

} // namespace vdmabuf::compositor
