#include "view.hpp"

#include "render/colour.hpp"
#include "server.hpp"

namespace vdmabuf::compositor {

namespace {
// The bytes pixman made of {0.22, 0.45, 0.80} and {0.35, 0.35, 0.38} before.
constexpr float kFocused[4] = {unorm8(56), unorm8(115), unorm8(204), 1.0f};
constexpr float kUnfocused[4] = {unorm8(89), unorm8(89), unorm8(97), 1.0f};
} // namespace

View::View(Server& server) : server_(server) {
    tree_ = wlr_scene_tree_create(&server.views_tree_->node);
    tree_->node.data = this; // Server::view_at walks up to here
    wlr_scene_node_set_enabled(&tree_->node, false);
    frame_ = wlr_scene_rect_create(&tree_->node, 0, 0, kUnfocused);
    wlr_scene_node_set_enabled(&frame_->node, false);
}

View::~View() {
    // Destroys the decoration and, if still there, the surface nodes.
    wlr_scene_node_destroy(&tree_->node);
}

void View::set_content(wlr_scene_node* content, int geo_x, int geo_y, int width, int height) {
    content_ = content;
    geo_x_ = geo_x;
    geo_y_ = geo_y;
    width_ = width;
    height_ = height;
    update_decoration();
}

void View::move_to(int x, int y) {
    x_ = x;
    y_ = y;
    update_decoration();
}

void View::place_and_show() {
    if (!placed_) {
        int x = 0, y = 0;
        server_.next_cascade_position(x, y);
        move_to(x + kBorder, y + kTitleHeight);
        placed_ = true;
    }
    mapped_ = true;
    wlr_scene_node_set_enabled(&tree_->node, true);
}

void View::hide() {
    mapped_ = false;
    wlr_scene_node_set_enabled(&tree_->node, false);
}

void View::raise() { wlr_scene_node_raise_to_top(&tree_->node); }

void View::set_focused(bool focused) {
    focused_ = focused;
    set_activated(focused);
    wlr_scene_rect_set_color(frame_, focused ? kFocused : kUnfocused);
}

void View::set_decorated(bool decorated) {
    decorated_ = decorated;
    update_decoration();
}

void View::set_filled(bool filled) {
    filled_ = filled;
    update_decoration();
}

void View::update_decoration() {
    // The tree sits at the content's layout position; the frame reaches out of it.
    wlr_scene_node_set_position(&tree_->node, x_, y_);
    if (content_)
        wlr_scene_node_set_position(content_, -geo_x_, -geo_y_);
    const bool show = decorated_ && !filled_ && width_ > 0 && height_ > 0;
    wlr_scene_node_set_enabled(&frame_->node, show);
    if (show) {
        wlr_scene_rect_set_size(frame_, width_ + 2 * kBorder, height_ + kTitleHeight + kBorder);
        wlr_scene_node_set_position(&frame_->node, -kBorder, -kTitleHeight);
    }
}

} // namespace vdmabuf::compositor
