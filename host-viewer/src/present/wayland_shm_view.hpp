// Pass-through for the Wayland window: guest frames shown by the host
// compositor straight from guest memory. A dma-buf import (vdmabufd's
// udmabuf mode) goes to the compositor as a zwp_linux_dmabuf_v1 wl_buffer
// (WaylandDmabuf) where it announced the format and modifier; such a buffer
// goes back to the guest after its wl_buffer.release and, with
// wp_presentation, once a later commit of the surface was presented (or
// discarded): the compositor's GPU may read it until then, as a scanout
// would until the flip. Guest memory (memfd mode): one wl_shm_pool per guest-memory
// file (cached by inode: every IMPORT_REPLY brings new fd numbers for the same
// memory), one wl_buffer per guest buffer, attached to a content subsurface
// (desynchronized: a frame commits on its own, the parent's EGL surface is
// redrawn only for the bars) that wp_viewporter scales into the letterbox
// rectangle. The guest gets a buffer back only after its wl_buffer.release.
// Buffers it cannot show that way are copied into the viewer's own wl_shm
// buffers (WaylandShmCopy) and shown on the same subsurface.
#pragma once

#include "present/presenter.hpp"
#include "present/wayland_dmabuf.hpp"
#include "present/wayland_handles.hpp"
#include "present/wayland_hud.hpp"
#include "present/wayland_shm_copy.hpp"

#include "import/buffer_key.hpp"

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

namespace vdmabuf::viewer {

class WaylandShmView final : public PassThrough {
public:
    struct Globals {
        wl_display* display = nullptr;
        wl_compositor* compositor = nullptr;
        uint32_t compositor_version = 0;
        wl_subcompositor* subcompositor = nullptr;
        wp_viewporter* viewporter = nullptr; // optional: without it only 1:1
        wl_shm* shm = nullptr;
        wl_surface* parent = nullptr;
        const int32_t* scale = nullptr; // the parent's buffer scale
        const std::set<uint32_t>* formats = nullptr; // wl_shm formats announced
        WaylandDmabuf* dmabuf = nullptr;              // optional (not bound: no dma-bufs)
        wp_presentation* presentation = nullptr;      // optional
    };
    // nullptr (and *why) without wl_subcompositor or wl_shm.
    [[nodiscard]] static std::unique_ptr<WaylandShmView> create(const Globals& g, std::string* why);
    ~WaylandShmView() override;
    WaylandShmView(const WaylandShmView&) = delete;
    WaylandShmView& operator=(const WaylandShmView&) = delete;

    std::string show(const consumer::BufferInfo& info, const consumer::Import& import,
                     std::span<const vdmabuf_rect> damage, uint64_t* serial) override;
    bool has_copy_path() const override { return true; }
    bool can_copy_out() const override { return true; }
    // The whole frame into the viewer's own wl_shm buffer (show_copy).
    std::string copy_out_shown(const consumer::BufferInfo& info, consumer::Import& import,
                               int64_t* bytes) override {
        return show_copy(info, import, {}, bytes);
    }
    std::string show_copy(const consumer::BufferInfo& info, consumer::Import& import,
                          std::span<const vdmabuf_rect> damage, int64_t* bytes) override;
    std::optional<ShownPixels> shown_copy() const override;
    bool released(const vdmabuf_id& id, uint64_t serial) const override;
    bool place(int x, int y, int w, int h) override;
    void hide() override;
    bool visible() const override { return visible_; }
    void forget(const vdmabuf_id& id) override;
    void forget_all() override;
    void wait_released() override;
    // Of the last buffer shown from the guest: "linux-dmabuf" or "wl_shm".
    const char* name() const override { return dmabuf_shown_ ? "linux-dmabuf" : "wl_shm"; }
    const char* summary() const override { return summary_.c_str(); }
    bool needs_writable_fds() const override { return true; }
    bool set_hud(const std::string& text) override;
    bool offers_dmabuf() const override { return g_.dmabuf && g_.dmabuf->bound(); }
    void allow_dmabuf(bool allowed, const std::string& why) override {
        dmabuf_allowed_ = allowed;
        dmabuf_denied_ = allowed ? std::string() : why;
    }

private:
    struct Pool {
        wl::ShmPool proxy;
        uint64_t size = 0; // bytes mapped by the compositor, from offset 0
    };
    // A wl_display.sync after each commit: its done says the compositor has
    // processed that commit, so a release that comes after it covers it.
    struct Sync {
        WaylandShmView* view;
        uint64_t serial;
        wl::Callback proxy;
    };
    // wp_presentation feedback for the commit numbered `serial`.
    struct Feedback {
        WaylandShmView* view;
        uint64_t serial;
        wl::Feedback proxy;
    };
    struct Entry {
        WaylandShmView* view = nullptr;
        wl::Buffer proxy;
        bool dmabuf = false;      // a zwp_linux_dmabuf_v1 buffer (else wl_shm)
        uint64_t released_ns = 0; // when its last wl_buffer.release came
        uint32_t width = 0, height = 0;
        bool opaque = true; // no alpha channel
        uint64_t attached = 0; // serial of the last attach
        uint64_t released = 0; // the last attach the compositor released
    };

    explicit WaylandShmView(const Globals& g) : g_(g), copy_(g.display, g.shm, g.formats) {}
    // The buffer's wl_buffer, made on first use; nullptr and *why when the
    // buffer cannot be expressed as one.
    Entry* entry_for(const consumer::BufferInfo& info, const consumer::Import& import,
                     std::string* why);
    Pool* pool_for(int fd, std::string* why);
    // The zwp_linux_dmabuf_v1 wl_buffer of a dma-buf import.
    Entry* dmabuf_entry(const consumer::BufferInfo& info, const consumer::Import& import,
                        std::string* why);
    // A released dma-buf attach: also no longer read by a repaint in flight.
    [[nodiscard]] bool flipped_away(const Entry& e, uint64_t serial) const;
    // Attaches `buffer` (width x height) to the content surface with the
    // frame's damage and commits.
    void commit(wl_buffer* buffer, uint32_t width, uint32_t height, bool opaque,
                std::span<const vdmabuf_rect> damage);
    void apply_geometry();
    // The HUD again for the picture's width and the window's scale (a no-op
    // when neither nor the text changed).
    void update_hud();
    static void on_release(void* data, wl_buffer* buffer);
    static void on_sync(void* data, wl_callback* cb, uint32_t);
    // Numbers the commit about to be made (every attach, copy and detach)
    // and asks wp_presentation about it.
    uint64_t next_commit();
    static void on_feedback_done(void* data, struct wp_presentation_feedback*);

    Globals g_;
    wl::Surface surface_;
    wl::Subsurface subsurface_;
    wl::Viewport viewport_;
    std::unique_ptr<WaylandHud> hud_; // a child of surface_: goes first
    std::string hud_text_;
    std::map<std::pair<uint64_t, uint64_t>, Pool> pools_; // (st_dev, st_ino)
    std::map<BufferKey, std::unique_ptr<Entry>> buffers_;
    // dma-bufs the compositor refused (or never answered for): not asked again.
    std::map<BufferKey, std::string> refused_;
    std::list<Sync> syncs_;
    std::list<Feedback> feedback_;
    uint64_t serial_ = 0;    // commits so far (attaches of guest buffers, copies, detaches)
    uint64_t processed_ = 0; // the last attach whose sync came back
    uint64_t presented_ = 0; // the last commit reported presented or discarded
    mutable uint64_t unreported_logged_ = 0; // flipped_away() said so for this attach
    WaylandShmCopy copy_; // after the maps: its wl_buffers go first
    bool visible_ = false;
    Entry* shown_ = nullptr;    // the guest buffer shown (nullptr: a copy, or nothing)
    bool dmabuf_shown_ = false; // the last guest buffer shown was a dma-buf
    bool dmabuf_allowed_ = false; // allow_dmabuf() said so
    std::string dmabuf_denied_ = "not decided"; // ...else why not
    std::string summary_;
    bool copy_shown_ = false;   // copy_'s last buffer is shown
    uint32_t shown_width_ = 0, shown_height_ = 0;
    bool shown_opaque_ = true;
    int x_ = 0, y_ = 0, w_ = 0, h_ = 0; // letterbox rectangle, buffer pixels
};

} // namespace vdmabuf::viewer
