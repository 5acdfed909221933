#define VDM_LOG_SCOPE "xwayland"
#include "xwayland.hpp"

#include "seat.hpp"
#include "server.hpp"
#include "view.hpp"
#include "wlr/listener.hpp"

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::compositor {

#if VDM_HAVE_XCB

namespace {

using WlrXwayland = CHandle<wlr_xwayland, &wlr_xwayland_destroy>;

class XwaylandView final : public View {
public:
    XwaylandView(Server& server, wlr_xwayland_surface* xs) : View(server), xs_(xs) {
        map_.connect(&xs->events.map, [this](void*) { handle_map(); });
        unmap_.connect(&xs->events.unmap, [this](void*) { handle_unmap(); });
        configure_.connect(&xs->events.request_configure,
                           [this](wlr_xwayland_surface_configure_event* e) {
                               wlr_xwayland_surface_configure(xs_, e->x, e->y, e->width,
                                                              e->height);
                               if (xs_->override_redirect)
                                   move_to(e->x, e->y);
                           });
        geometry_.connect(&xs->events.set_geometry, [this](void*) {
            if (xs_->override_redirect)
                move_to(xs_->x, xs_->y);
            set_content(content_, 0, 0, xs_->width, xs_->height);
        });
        activate_.connect(&xs->events.request_activate, [this](void*) {
            if (mapped())
                server_.seat_->focus_view(this, nullptr);
        });
        destroy_.connect(&xs->events.destroy, [this](void*) {
            server_.remove_view(this); // last statement: deletes this
        });
    }

    [[nodiscard]] wlr_surface* surface() const override { return xs_->surface; }
    void set_activated(bool activated) override {
        wlr_xwayland_surface_activate(xs_, activated);
    }
    void close() override { wlr_xwayland_surface_close(xs_); }

private:
    void handle_map() {
        content_ = wlr_scene_subsurface_tree_create(&tree_->node, xs_->surface);
        set_content(content_, 0, 0, xs_->width, xs_->height);
        if (xs_->override_redirect) {
            move_to(xs_->x, xs_->y);
            placed_ = true;
            set_decorated(false);
        } else {
            set_decorated(true);
        }
        place_and_show();
        if (!xs_->override_redirect) {
            wlr_xwayland_surface_configure(xs_, static_cast<int16_t>(x_),
                                           static_cast<int16_t>(y_), xs_->width, xs_->height);
            server_.seat_->focus_view(this, nullptr);
        } else {
            raise();
        }
    }
    void handle_unmap() {
        hide();
        server_.seat_->forget_view(this);
        if (content_)
            wlr_scene_node_destroy(content_);
        content_ = nullptr;
    }

    wlr_xwayland_surface* xs_;
    Listener<void> map_;
    Listener<void> unmap_;
    Listener<wlr_xwayland_surface_configure_event> configure_;
    Listener<void> geometry_;
    Listener<void> activate_;
    Listener<void> destroy_;
};

class XwaylandShellImpl final : public XwaylandShell {
public:
    XwaylandShellImpl(Server& server, wlr_xwayland* xwayland)
        : server_(server), xwayland_(xwayland) {
        name_ = xwayland->display_name;
        ready_.connect(&xwayland->events.ready, [this](void*) {
            wlr_xwayland_set_seat(xwayland_.get(), server_.seat_->wlr());
            VDM_INFO("Xwayland ready on DISPLAY=%s", name_.c_str());
        });
        new_surface_.connect(&xwayland->events.new_surface, [this](wlr_xwayland_surface* xs) {
            server_.add_view(std::make_unique<XwaylandView>(server_, xs));
        });
    }
    ~XwaylandShellImpl() override {
        ready_.disconnect();
        new_surface_.disconnect();
    }
    [[nodiscard]] std::string display_name() const override { return name_; }

private:
    Server& server_;
    WlrXwayland xwayland_;
    std::string name_;
    Listener<void> ready_;
    Listener<wlr_xwayland_surface> new_surface_;
};

} // namespace

std::unique_ptr<XwaylandShell> XwaylandShell::create(Server& server) {
    // Lazy: the X server starts when the first X client connects.
    wlr_xwayland* xwayland = wlr_xwayland_create(server.display_.get(), server.compositor_, true);
    if (!xwayland) {
        VDM_ERROR("wlr_xwayland_create failed");
        return nullptr;
    }
    return std::make_unique<XwaylandShellImpl>(server, xwayland);
}

#else

std::unique_ptr<XwaylandShell> XwaylandShell::create(Server& /*server*/) {
    VDM_ERROR("built without xcb: no Xwayland");
    return nullptr;
}

#endif

} // namespace vdmabuf::compositor
