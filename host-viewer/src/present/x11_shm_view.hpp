// Pass-through for the X11 window: the X server copies guest frames into the
// window straight from guest memory (MIT-SHM), the viewer copies and draws
// nothing. One shared-memory segment per guest-memory file, attached read-only
// by fd (MIT-SHM 1.2; cached by inode: every IMPORT_REPLY brings new fd
// numbers for the same memory); one XShmPutImage per damaged rectangle, the
// last one asking for a ShmCompletion event. The window loses its pixels
// (Expose) and the frame must be put again, so the shown buffer stays held
// until a newer frame's put replaced it; a buffer goes back to the guest once
// its last put completed and it is no longer the shown one. On a still
// screen the frame is put once into a pixmap of the server's (copy_out_shown:
// the server copies, the viewer nothing), Exposes are repainted from that,
// and the guest gets its buffer back. XShmPutImage does not scale: the frame
// is shown 1:1, centred, with black bars drawn by core requests; a window
// smaller than the frame takes the GL path (which scales).
#pragma once

#include "present/presenter.hpp"

#include "import/buffer_key.hpp"

#include <X11/Xlib.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vdmabuf::viewer {

// An X resource ID freed with a request on its connection (RAII, as CHandle
// for pointers); the connection must outlive it.
template <xcb_void_cookie_t (*Free)(xcb_connection_t*, uint32_t)> class XcbId {
public:
    XcbId() = default;
    XcbId(xcb_connection_t* c, uint32_t id) : conn_(c), id_(id) {}
    ~XcbId() {
        if (conn_)
            Free(conn_, id_);
    }
    XcbId(XcbId&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)), id_(o.id_) {}
    XcbId& operator=(XcbId&& o) noexcept {
        std::swap(conn_, o.conn_);
        std::swap(id_, o.id_);
        return *this;
    }
    XcbId(const XcbId&) = delete;
    XcbId& operator=(const XcbId&) = delete;
    [[nodiscard]] uint32_t get() const noexcept { return id_; }

private:
    xcb_connection_t* conn_ = nullptr;
    uint32_t id_ = 0;
};

class X11ShmView final : public PassThrough {
public:
    struct Target {
        Display* dpy = nullptr;
        Window window = 0;
        // The size the window has, or will have once the server has processed
        // a resize the presenter already sent.
        std::function<std::pair<uint32_t, uint32_t>()> size;
    };
    // nullptr (and *why) where the server cannot read guest memory this way:
    // no MIT-SHM 1.2 (fd passing), not a local connection, or a visual that is
    // not 24/32-bit TrueColor x8r8g8b8 little-endian.
    [[nodiscard]] static std::unique_ptr<X11ShmView> create(const Target& t, std::string* why);
    ~X11ShmView() override;
    X11ShmView(const X11ShmView&) = delete;
    X11ShmView& operator=(const X11ShmView&) = delete;

    std::string show(const consumer::BufferInfo& info, const consumer::Import& import,
                     std::span<const vdmabuf_rect> damage, uint64_t* serial) override;
    bool released(const vdmabuf_id& id, uint64_t serial) const override;
    // The rectangle is not used: the frame goes 1:1 at the window's centre.
    bool place(int x, int y, int w, int h) override;
    void hide() override { visible_ = false, shown_ = nullptr, still_of_ = nullptr; }
    bool visible() const override { return visible_; }
    void forget(const vdmabuf_id& id) override;
    void forget_all() override;
    void wait_released() override;
    const char* name() const override { return "x11_shm"; }
    const char* summary() const override {
        return "import path: MIT-SHM over guest memory (the X server reads the guest's pages; "
               "nothing copied)";
    }
    bool one_to_one() const override { return true; }
    bool can_copy_out() const override { return true; }
    std::string copy_out_shown(const consumer::BufferInfo& info, consumer::Import& import,
                               int64_t* bytes) override;
    // The kept frame (after copy_out_shown), read back from the pixmap.
    std::optional<ShownPixels> shown_copy() const override;
    bool set_hud(const std::string& text) override;

    // The Xlib event type ShmCompletion events arrive as (the presenter's
    // dispatch() hands them to completed()).
    [[nodiscard]] int completion_type() const noexcept { return completion_type_; }
    void completed(const XEvent& ev);
    // The window lost its contents (Expose): the next place() puts the frame again.
    void exposed() noexcept { exposed_ = true; }

private:
    struct Segment {
        XcbId<xcb_shm_detach> seg;
        uint64_t size = 0; // of the file, which the server maps whole
    };
    struct Entry {
        BufferKey key;
        uint32_t seg = 0, offset = 0;
        uint16_t total_width = 0; // stride in pixels
        uint32_t width = 0, height = 0;
        uint64_t completed = 0; // serial of the last put whose completion came
    };
    // A put that asked for a completion, by its request sequence number.
    struct Pending {
        uint32_t sequence;
        BufferKey key;
        uint64_t serial;
    };

    X11ShmView(Target t, xcb_connection_t* c);
    Entry* entry_for(const consumer::BufferInfo& info, const consumer::Import& import,
                     std::string* why);
    Segment* segment_for(int fd, std::string* why);
    // Fills the window around the frame at (x_, y_) black.
    void paint_bars(const Entry& e, uint32_t window_w, uint32_t window_h);
    // XShmPutImage of the rectangles (buffer pixels; empty: all), the last with
    // a completion; returns its serial.
    uint64_t put(Entry& e, std::span<const vdmabuf_rect> rects);
    // Whether the frame fits the window, and where it goes (x_, y_).
    bool fit(const Entry& e, uint32_t* window_w, uint32_t* window_h);
    // The HUD over the shown frame after a put of `rects` (empty: all), if
    // they touch its box.
    void draw_hud(std::span<const vdmabuf_rect> rects);

    Target t_;
    xcb_connection_t* conn_;
    uint8_t depth_ = 0;
    int completion_type_ = 0;
    XcbId<xcb_free_gc> gc_; // black foreground: the bars
    std::unique_ptr<class X11Hud> hud_; // nullptr: no "fixed" font
    std::string hud_text_;
    std::map<std::pair<uint64_t, uint64_t>, Segment> segments_; // (st_dev, st_ino)
    std::map<BufferKey, Entry> buffers_;
    std::deque<Pending> pending_;
    uint64_t serial_ = 0;
    bool visible_ = false, exposed_ = false;
    Entry* shown_ = nullptr;
    // The shown frame kept in a server pixmap (copy_out_shown), once the put
    // into it (still_serial_) completed; nullptr: none, or not the shown one.
    XcbId<xcb_free_pixmap> still_;
    uint32_t still_w_ = 0, still_h_ = 0;
    const Entry* still_of_ = nullptr;
    uint64_t still_serial_ = 0;
    mutable std::vector<uint8_t> still_pixels_; // shown_copy()'s
    int x_ = -1, y_ = -1;           // where the frame is in the window
    uint32_t window_w_ = 0, window_h_ = 0; // ...and the window's size then
};

} // namespace vdmabuf::viewer
