#define VDM_LOG_SCOPE "render"
#include "scene_render.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>
#include <utility>
#include <vector>

namespace vdmabuf::compositor {

namespace {

class Region {
public:
    Region() { pixman_region32_init(&r_); }
    explicit Region(const wlr_box& b) {
        pixman_region32_init_rect(&r_, b.x, b.y, static_cast<unsigned>(b.width),
                                  static_cast<unsigned>(b.height));
    }
    ~Region() { pixman_region32_fini(&r_); }
    Region(Region&& other) noexcept : r_(other.r_) { pixman_region32_init(&other.r_); }
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;
    Region& operator=(Region&&) = delete;

    pixman_region32_t* get() { return &r_; }
    [[nodiscard]] bool empty() const { return !pixman_region32_not_empty(&r_); }
    [[nodiscard]] uint64_t area() const {
        int n = 0;
        const pixman_box32_t* b = pixman_region32_rectangles(&r_, &n);
        uint64_t sum = 0;
        for (int i = 0; i < n; ++i)
            sum += uint64_t(b[i].x2 - b[i].x1) * uint64_t(b[i].y2 - b[i].y1);
        return sum;
    }

private:
    pixman_region32_t r_;
};

// One node to draw, in output-buffer coordinates (identity output transform).
struct Item {
    wlr_scene_node* node = nullptr;
    wlr_box box{};
    wlr_texture* texture = nullptr; // surfaces
    Region opaque;                  // what the node covers opaquely
    Region draw;                    // the damage it paints
};

// The surface can be blitted: a pixman texture the size of its box, shown
// without a buffer transform, buffer scale or viewport, whose pixels can be read.
bool blittable(wlr_surface* surface, wlr_texture* texture, const wlr_box& box) {
    const wlr_surface_state& s = surface->current;
    if (!wlr_texture_is_pixman(texture) || s.transform != WL_OUTPUT_TRANSFORM_NORMAL ||
        s.scale != 1 || s.viewport.has_src || s.viewport.has_dst ||
        int(texture->width) != box.width || int(texture->height) != box.height)
        return false;
    wlr_client_buffer* cb = surface->buffer;
    if (!cb || !cb->source || cb->texture != texture)
        return false;
    void* data = nullptr;
    uint32_t format = 0;
    size_t stride = 0;
    if (!wlr_buffer_begin_data_ptr_access(cb->source, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data,
                                          &format, &stride))
        return false;
    wlr_buffer_end_data_ptr_access(cb->source);
    return true;
}

// The scene's enabled nodes in paint order (bottom first), as wlroots' own
// iteration visits them; false if one of them needs wlroots' renderer.
bool collect(wlr_scene_node* node, int lx, int ly, std::vector<Item>& out) {
    if (!node->state.enabled)
        return true;
    lx += node->state.x;
    ly += node->state.y;
    switch (node->type) {
    case WLR_SCENE_NODE_ROOT:
    case WLR_SCENE_NODE_TREE:
        break;
    case WLR_SCENE_NODE_SURFACE: {
        wlr_surface* surface = wlr_scene_surface_from_node(node)->surface;
        wlr_texture* texture = wlr_surface_get_texture(surface);
        if (!texture)
            break; // wlroots draws nothing for it either
        Item item;
        item.node = node;
        item.texture = texture;
        item.box = {lx, ly, surface->current.width, surface->current.height};
        if (item.box.width <= 0 || item.box.height <= 0)
            break;
        if (!blittable(surface, texture, item.box))
            return false;
        if (wlr_texture_is_opaque(texture)) {
            pixman_region32_copy(item.opaque.get(), Region(item.box).get());
        } else {
            pixman_region32_copy(item.opaque.get(), &surface->opaque_region);
            pixman_region32_translate(item.opaque.get(), lx, ly);
            Region box(item.box);
            pixman_region32_intersect(item.opaque.get(), item.opaque.get(), box.get());
        }
        out.push_back(std::move(item));
        break;
    }
    case WLR_SCENE_NODE_RECT: {
        wlr_scene_rect* rect = wl_container_of(node, rect, node);
        if (rect->width <= 0 || rect->height <= 0)
            break;
        if (rect->color[3] != 1.0f)
            return false;
        Item item;
        item.node = node;
        item.box = {lx, ly, rect->width, rect->height};
        pixman_region32_copy(item.opaque.get(), Region(item.box).get());
        out.push_back(std::move(item));
        break;
    }
    case WLR_SCENE_NODE_BUFFER:
        return false; // its texture is private to wlroots
    }
    for (wl_list* l = node->state.children.next; l != &node->state.children; l = l->next) {
        wlr_scene_node* child = wl_container_of(l, child, state.link);
        if (!collect(child, lx, ly, out))
            return false;
    }
    return true;
}

template <class Fn> void for_each_rect(pixman_region32_t* region, Fn fn) {
    int n = 0;
    const pixman_box32_t* b = pixman_region32_rectangles(region, &n);
    for (int i = 0; i < n; ++i)
        fn(b[i].x1, b[i].y1, b[i].x2 - b[i].x1, b[i].y2 - b[i].y1);
}

// wlroots' pixman colour conversion (float * 0xFFFF, truncated).
pixman_color_t to_pixman(const float c[4]) {
    return {static_cast<uint16_t>(c[0] * 0xFFFF), static_cast<uint16_t>(c[1] * 0xFFFF),
            static_cast<uint16_t>(c[2] * 0xFFFF), static_cast<uint16_t>(c[3] * 0xFFFF)};
}

// What wlroots' pixman renderer does for wlr_renderer_clear and for an opaque
// rect (an a8r8g8b8 image of the colour composited OVER: the colour itself), as
// one solid composite per rectangle.
void fill(pixman_image_t* dest, pixman_op_t op, const pixman_color_t& colour,
          pixman_region32_t* region) {
    pixman_image_t* solid = pixman_image_create_solid_fill(&colour);
    for_each_rect(region, [&](int x, int y, int w, int h) {
        pixman_image_composite32(op, solid, nullptr, dest, 0, 0, 0, 0, x, y, w, h);
    });
    pixman_image_unref(solid);
}

// The texture at the item's box: SRC inside its opaque region, OVER elsewhere.
void blit(pixman_image_t* dest, Item& item) {
    wlr_surface* surface = wlr_scene_surface_from_node(item.node)->surface;
    wlr_buffer* source = surface->buffer->source;
    void* data = nullptr;
    uint32_t drm_format = 0;
    size_t stride = 0;
    if (!wlr_buffer_begin_data_ptr_access(source, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data,
                                          &drm_format, &stride))
        return; // checked by collect(); wlroots' render would fail the same way
    // A fresh image of the buffer's current mapping (a wl_shm_pool may have been
    // resized since the texture was made), in the texture's pixman format.
    const pixman_format_code_t format =
        pixman_image_get_format(wlr_pixman_texture_get_image(item.texture));
    pixman_image_t* image = pixman_image_create_bits_no_clear(
        format, item.box.width, item.box.height, static_cast<uint32_t*>(data), int(stride));
    if (image) {
        Region solid;
        pixman_region32_intersect(solid.get(), item.draw.get(), item.opaque.get());
        Region blend;
        pixman_region32_subtract(blend.get(), item.draw.get(), solid.get());
        const auto copy = [&](pixman_op_t op) {
            return [&, op](int x, int y, int w, int h) {
                pixman_image_composite32(op, image, nullptr, dest, x - item.box.x, y - item.box.y,
                                         0, 0, x, y, w, h);
            };
        };
        for_each_rect(solid.get(), copy(PIXMAN_OP_SRC));
        for_each_rect(blend.get(), copy(PIXMAN_OP_OVER));
        pixman_image_unref(image);
    } else {
        VDM_ERROR("pixman_image_create_bits_no_clear %dx%d failed", item.box.width,
                  item.box.height);
    }
    wlr_buffer_end_data_ptr_access(source);
}

bool supported_target(pixman_image_t* dest) {
    if (!dest)
        return false;
    const pixman_format_code_t f = pixman_image_get_format(dest);
    return f == PIXMAN_x8r8g8b8 || f == PIXMAN_a8r8g8b8;
}

bool commit_by_wlroots(wlr_scene_output* scene_output, RenderStats& stats) {
    const uint32_t seq = scene_output->output->commit_seq;
    const bool ok = wlr_scene_output_commit(scene_output);
    stats.frames_wlroots += scene_output->output->commit_seq != seq;
    return ok;
}

} // namespace

bool commit_scene_output(wlr_scene_output* scene_output, RenderPath path, RenderStats& stats) {
    wlr_output* output = scene_output->output;
    wlr_renderer* renderer = output->renderer;
    std::vector<Item> items;
    if (path == RenderPath::wlroots || !output->enabled || !renderer ||
        !wlr_renderer_is_pixman(renderer) || output->transform != WL_OUTPUT_TRANSFORM_NORMAL ||
        output->scale != 1.0f ||
        !collect(&scene_output->scene->node, -scene_output->x, -scene_output->y, items)) {
        return commit_by_wlroots(scene_output, stats);
    }

    bool needs_frame = false;
    Region damage;
    if (!wlr_output_damage_attach_render(scene_output->damage, &needs_frame, damage.get()))
        return false;
    if (!needs_frame) {
        wlr_output_rollback(output);
        return true;
    }
    pixman_image_t* dest = wlr_pixman_renderer_get_current_image(renderer);
    if (!supported_target(dest)) {
        wlr_output_rollback(output);
        return commit_by_wlroots(scene_output, stats);
    }

    // Top down: each node paints the damage no opaque node above it covers.
    Region covered;
    for (auto it = items.rbegin(); it != items.rend(); ++it) {
        Region box(it->box);
        pixman_region32_intersect(it->draw.get(), damage.get(), box.get());
        pixman_region32_subtract(it->draw.get(), it->draw.get(), covered.get());
        pixman_region32_union(covered.get(), covered.get(), it->opaque.get());
    }
    Region clear;
    pixman_region32_subtract(clear.get(), damage.get(), covered.get());

    wlr_renderer_begin(renderer, static_cast<uint32_t>(output->width),
                       static_cast<uint32_t>(output->height));
    wlr_renderer_scissor(renderer, nullptr); // no clip left on the target image
    const float black[4] = {0.0f, 0.0f, 0.0f, 1.0f};
    fill(dest, PIXMAN_OP_SRC, to_pixman(black), clear.get());
    const uint64_t damaged = damage.area();
    uint64_t drawn = clear.area(), wlroots_would = damaged;
    for (Item& item : items) {
        Region box(item.box);
        pixman_region32_intersect(box.get(), box.get(), damage.get());
        wlroots_would += box.area();
        if (item.draw.empty())
            continue;
        drawn += item.draw.area();
        if (item.texture) {
            blit(dest, item);
        } else {
            wlr_scene_rect* rect = wl_container_of(item.node, rect, node);
            fill(dest, PIXMAN_OP_OVER, to_pixman(rect->color), item.draw.get());
        }
    }
    wlr_output_render_software_cursors(output, damage.get());
    wlr_renderer_scissor(renderer, nullptr);
    wlr_renderer_end(renderer);

    stats.drawn_pixels += drawn;
    stats.culled_pixels += wlroots_would > drawn ? wlroots_would - drawn : 0;
    ++stats.frames_culled;

    // As wlroots: the frame damage is the output damage (identity transform here).
    wlr_output_set_damage(output, &scene_output->damage->current);
    return wlr_output_commit(output);
}

} // namespace vdmabuf::compositor
