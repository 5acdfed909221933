// A toplevel window: an xdg toplevel or an Xwayland window, as a scene tree holding
// the server-side decoration (when the client asked for one) and the surface tree.
//
// Decorations are drawn by the compositor as scene rectangles only (no text): a
// 24 px title bar and a 2 px border, blue when focused, grey otherwise. They are
// given to xdg clients that negotiate xdg-decoration (the compositor always answers
// server-side); clients without the protocol draw their own (GTK's CSD).
#pragma once

#include "wlr/wlr.hpp"

namespace vdmabuf::compositor {

class Server;

class View {
public:
    static constexpr int kTitleHeight = 24;
    static constexpr int kBorder = 2;

    virtual ~View();
    View(const View&) = delete;
    View& operator=(const View&) = delete;

    [[nodiscard]] virtual wlr_surface* surface() const = 0;
    // Keyboard focus changes: the client's activated state.
    virtual void set_activated(bool activated) = 0;
    virtual void close() = 0;
    // Outputs changed: a view that fills an output (maximized, fullscreen) follows
    // its size, or moves to another output when its own went away.
    virtual void output_resized(wlr_output* /*output*/) {}
    virtual void output_gone() {}

    // Raises the view to the top of the stack and updates the decoration colour.
    void raise();
    void set_focused(bool focused);
    void set_decorated(bool decorated);
    // Layout position of the content's top-left corner (decorations go around it).
    void move_to(int x, int y);
    [[nodiscard]] bool mapped() const { return mapped_; }
    [[nodiscard]] wlr_scene_tree* tree() const { return tree_; }

protected:
    explicit View(Server& server);
    // Content size (window geometry) and its offset inside the surface tree.
    void set_content(wlr_scene_node* content, int geo_x, int geo_y, int width, int height);
    // First map: picks the cascade slot; later maps keep the position.
    void place_and_show();
    void hide();
    // Maximized or fullscreen: the content covers the output, no decoration.
    void set_filled(bool filled);

    Server& server_;
    wlr_scene_tree* tree_ = nullptr;
    wlr_scene_node* content_ = nullptr;
    int x_ = 0, y_ = 0;
    bool placed_ = false;

private:
    void update_decoration();

    wlr_scene_rect* frame_ = nullptr; // title bar + border, behind the content
    int width_ = 0, height_ = 0;
    int geo_x_ = 0, geo_y_ = 0;
    bool decorated_ = false;
    bool focused_ = false;
    bool mapped_ = false;
    bool filled_ = false;
};

} // namespace vdmabuf::compositor
