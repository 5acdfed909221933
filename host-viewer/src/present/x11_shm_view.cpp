#define VDM_LOG_SCOPE "x11"
#include "present/x11_shm_view.hpp"

#include "present/x11_hud.hpp"

#include <vdmabuf/shared/log.hpp>

#include <X11/Xlib-xcb.h>
#include <X11/Xlibint.h> // XESetWireToEvent, _XSetLastRequestRead
#undef min // Xlibint.h's macros, which break <algorithm>
#undef max

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <vector>

namespace vdmabuf::viewer {
namespace {

// How a ShmCompletion travels through Xlib's queue: Xlib drops extension
// events it has no converter for, so ours copies the two fields we need
// behind the XAnyEvent header.
struct CompletionXEvent {
    XAnyEvent any;
    uint32_t shmseg, offset;
};
static_assert(sizeof(CompletionXEvent) <= sizeof(XEvent));

Bool wire_to_completion(Display* d, XEvent* re, xEvent* wire) {
    xcb_shm_completion_event_t raw;
    std::memcpy(&raw, wire, sizeof raw);
    CompletionXEvent ev{};
    ev.any.type = raw.response_type & 0x7f;
    // The event carries the sequence number of the put that sent it.
    ev.any.serial = _XSetLastRequestRead(d, reinterpret_cast<xGenericReply*>(wire));
    ev.any.send_event = (raw.response_type & 0x80) != 0;
    ev.any.display = d;
    ev.any.window = raw.drawable;
    ev.shmseg = raw.shmseg;
    ev.offset = raw.offset;
    std::memcpy(re, &ev, sizeof ev);
    return True;
}

bool local_connection(int fd) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    return ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0 && sa.ss_family == AF_UNIX;
}

// Whether the window's pixels are what XRGB8888 is in memory: 32 bits per
// pixel, little-endian, x8r8g8b8 TrueColor.
std::string check_visual(Display* d, xcb_connection_t* c, const XWindowAttributes& wa) {
    const Visual* v = wa.visual;
    if ((wa.depth != 24 && wa.depth != 32) || !v || v->c_class != TrueColor ||
        v->red_mask != 0xff0000 || v->green_mask != 0xff00 || v->blue_mask != 0xff)
        return "the window's visual is not 24/32-bit TrueColor x8r8g8b8";
    if (ImageByteOrder(d) != LSBFirst)
        return "the X server's images are big-endian";
    const xcb_setup_t* setup = xcb_get_setup(c);
    for (auto it = xcb_setup_pixmap_formats_iterator(setup); it.rem; xcb_format_next(&it))
        if (it.data->depth == wa.depth)
            return it.data->bits_per_pixel == 32 && it.data->scanline_pad <= 32
                       ? ""
                       : "the X server does not keep this depth at 32 bits per pixel";
    return "the X server lists no pixmap format for the window's depth";
}

} // namespace

std::unique_ptr<X11ShmView> X11ShmView::create(const Target& t, std::string* why) {
    xcb_connection_t* c = XGetXCBConnection(t.dpy);
    if (!local_connection(ConnectionNumber(t.dpy))) {
        // xcb would kill the connection trying to pass an fd over TCP.
        *why = "the X server is not on a local socket (no fd passing)";
        return nullptr;
    }
    const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c, &xcb_shm_id);
    if (!ext || !ext->present) {
        *why = "the X server has no MIT-SHM";
        return nullptr;
    }
    auto* ver = xcb_shm_query_version_reply(c, xcb_shm_query_version(c), nullptr);
    const bool fds = ver && (ver->major_version > 1 || (ver->major_version == 1 && ver->minor_version >= 2));
    std::free(ver);
    if (!fds) {
        *why = "the X server's MIT-SHM is older than 1.2 (no fd passing)";
        return nullptr;
    }
    XWindowAttributes wa{};
    if (!XGetWindowAttributes(t.dpy, t.window, &wa)) {
        *why = "cannot query the window";
        return nullptr;
    }
    if (std::string v = check_visual(t.dpy, c, wa); !v.empty()) {
        *why = v;
        return nullptr;
    }
    std::unique_ptr<X11ShmView> view(new X11ShmView(t, c));
    view->depth_ = uint8_t(wa.depth);
    view->completion_type_ = ext->first_event + XCB_SHM_COMPLETION;
    XESetWireToEvent(t.dpy, view->completion_type_, wire_to_completion);
    // Black; opaque where the visual has alpha.
    const uint32_t values[] = {wa.depth == 32 ? 0xff000000u : 0u, 0};
    const uint32_t gc = xcb_generate_id(c);
    xcb_create_gc(c, gc, uint32_t(t.window), XCB_GC_FOREGROUND | XCB_GC_GRAPHICS_EXPOSURES, values);
    view->gc_ = XcbId<xcb_free_gc>(c, gc);
    std::string no_hud;
    view->hud_ = X11Hud::create(c, uint32_t(t.window), view->depth_, &no_hud);
    if (!view->hud_)
        VDM_WARN("HUD in the title only: %s", no_hud.c_str());
    return view;
}

X11ShmView::X11ShmView(Target t, xcb_connection_t* c) : t_(std::move(t)), conn_(c) {}

X11ShmView::~X11ShmView() {
    XESetWireToEvent(t_.dpy, completion_type_, nullptr); // Xlib's default again
    segments_.clear(); // detached (the server unmaps them), then the GCs freed
    still_ = {};
    gc_ = {};
    hud_.reset();
    xcb_flush(conn_);
}

X11ShmView::Segment* X11ShmView::segment_for(int fd, std::string* why) {
    struct stat st{};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
        *why = "cannot stat the guest-memory fd";
        return nullptr;
    }
    auto key = std::make_pair(uint64_t(st.st_dev), uint64_t(st.st_ino));
    if (auto it = segments_.find(key); it != segments_.end())
        return &it->second;
    const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) {
        *why = "cannot dup the guest-memory fd";
        return nullptr;
    }
    // Read-only: the server maps the whole file PROT_READ. Checked (one round
    // trip per file): an error here would otherwise reach Xlib's default
    // handler, which exits. xcb closes `dup` once sent.
    const uint32_t seg = xcb_generate_id(conn_);
    xcb_generic_error_t* err =
        xcb_request_check(conn_, xcb_shm_attach_fd_checked(conn_, seg, dup, 1));
    if (err) {
        *why = "the X server cannot map the guest-memory fd (X error " +
               std::to_string(err->error_code) + ")";
        std::free(err);
        return nullptr;
    }
    auto [it, _] = segments_.emplace(key, Segment{XcbId<xcb_shm_detach>(conn_, seg), uint64_t(st.st_size)});
    return &it->second;
}

X11ShmView::Entry* X11ShmView::entry_for(const consumer::BufferInfo& info,
                                         const consumer::Import& import, std::string* why) {
    if (auto it = buffers_.find(BufferKey(info.id)); it != buffers_.end())
        return &it->second;
    if (import.mode() != VDMABUF_IMPORT_MEMFD) {
        *why = "the import is a dma-buf, not guest memory";
        return nullptr;
    }
    if (import.extents().size() != 1) {
        *why = "the buffer is scattered over several extents of guest memory (an XShmPutImage "
               "source is one contiguous range)";
        return nullptr;
    }
    const bool argb = info.fourcc == DRM_FORMAT_ARGB8888;
    if ((!argb && info.fourcc != DRM_FORMAT_XRGB8888) || info.n_planes != 1 ||
        info.modifier != DRM_FORMAT_MOD_LINEAR) {
        *why = "the format is not linear XRGB8888 or ARGB8888";
        return nullptr;
    }
    if (depth_ == 32 && !argb) {
        // The X byte would land in the window's alpha.
        *why = "an XRGB8888 frame on a 32-bit window";
        return nullptr;
    }
    const vdmabuf_c_import_extent& e = import.extents()[0];
    const vdmabuf_plane& plane = info.planes[0];
    const uint64_t row = uint64_t(info.width) * 4;
    const uint64_t need = uint64_t(plane.stride) * (info.height - 1) + row;
    if (!info.width || !info.height || plane.stride < row || plane.offset > e.len ||
        need > e.len - plane.offset) {
        *why = "the plane layout does not fit the imported memory";
        return nullptr;
    }
    // Protocol limits: CARD16 sizes, a CARD32 offset.
    if (plane.stride % 4 || plane.stride / 4 > UINT16_MAX || info.height > UINT16_MAX) {
        *why = "the buffer is larger than an XShmPutImage can describe";
        return nullptr;
    }
    Segment* seg = segment_for(import.fd(e.fd_index), why);
    if (!seg)
        return nullptr;
    const uint64_t offset = e.offset + plane.offset;
    // The server checks stride * height, the last row's padding included.
    if (offset > UINT32_MAX || offset + uint64_t(plane.stride) * info.height > seg->size) {
        *why = "the buffer lies past the 4 GiB an XShmPutImage offset can address";
        return nullptr;
    }
    Entry& entry = buffers_[BufferKey(info.id)];
    entry.key = BufferKey(info.id);
    entry.seg = seg->seg.get();
    entry.offset = uint32_t(offset);
    entry.total_width = uint16_t(plane.stride / 4);
    entry.width = info.width;
    entry.height = info.height;
    return &entry;
}

bool X11ShmView::fit(const Entry& e, uint32_t* window_w, uint32_t* window_h) {
    auto [w, h] = t_.size();
    if (w < e.width || h < e.height)
        return false;
    *window_w = w, *window_h = h;
    return true;
}

std::string X11ShmView::show(const consumer::BufferInfo& info, const consumer::Import& import,
                             std::span<const vdmabuf_rect> damage, uint64_t* serial) {
    std::string why;
    Entry* e = entry_for(info, import, &why);
    if (!e)
        return why;
    uint32_t ww = 0, wh = 0;
    if (!fit(*e, &ww, &wh))
        return "the window is smaller than the frame and XShmPutImage does not scale";
    const int x = int(ww - e->width) / 2, y = int(wh - e->height) / 2;
    // The damage is what changed since the guest's previous frame, which is
    // what the window shows unless it was hidden, moved, or lost its pixels.
    const bool whole = !visible_ || exposed_ || !shown_ || shown_->width != e->width ||
                       shown_->height != e->height || x != x_ || y != y_ || ww != window_w_ ||
                       wh != window_h_;
    x_ = x, y_ = y;
    if (whole)
        paint_bars(*e, ww, wh);
    visible_ = true;
    exposed_ = false;
    shown_ = e;
    still_of_ = nullptr; // a newer frame than the pixmap's
    const auto rects = whole ? std::span<const vdmabuf_rect>() : damage;
    *serial = put(*e, rects);
    if (hud_ && whole) {
        xcb_rectangle_t ignored; // the put covered everything
        hud_->layout(hud_text_, e->width, e->height, &ignored);
    }
    draw_hud(rects);
    return {};
}

void X11ShmView::paint_bars(const Entry& e, uint32_t ww, uint32_t wh) {
    window_w_ = ww, window_h_ = wh;
    const int w = int(std::min<uint32_t>(ww, INT16_MAX)), h = int(std::min<uint32_t>(wh, INT16_MAX));
    const int fw = int(e.width), fh = int(e.height);
    const xcb_rectangle_t bars[] = {
        {0, 0, uint16_t(w), uint16_t(y_)},                                      // top
        {0, int16_t(y_ + fh), uint16_t(w), uint16_t(std::max(0, h - y_ - fh))}, // bottom
        {0, int16_t(y_), uint16_t(x_), uint16_t(fh)},                           // left
        {int16_t(x_ + fw), int16_t(y_), uint16_t(std::max(0, w - x_ - fw)), uint16_t(fh)},
    };
    xcb_rectangle_t some[4];
    uint32_t n = 0;
    for (const xcb_rectangle_t& r : bars)
        if (r.width && r.height)
            some[n++] = r;
    if (n)
        xcb_poly_fill_rectangle(conn_, uint32_t(t_.window), gc_.get(), n, some);
}

std::string X11ShmView::copy_out_shown(const consumer::BufferInfo& info, consumer::Import&,
                                       int64_t* bytes) {
    if (!visible_ || !shown_ || BufferKey(info.id) != shown_->key)
        return "not the shown frame";
    if (still_of_ == shown_)
        return {}; // already kept
    if (!still_.get() || still_w_ != shown_->width || still_h_ != shown_->height) {
        const uint32_t id = xcb_generate_id(conn_);
        xcb_create_pixmap(conn_, depth_, id, uint32_t(t_.window), uint16_t(shown_->width),
                          uint16_t(shown_->height));
        still_ = XcbId<xcb_free_pixmap>(conn_, id);
        still_w_ = shown_->width, still_h_ = shown_->height;
    }
    // The server reads the guest's pages once more, into its own memory.
    const xcb_void_cookie_t c = xcb_shm_put_image(
        conn_, still_.get(), gc_.get(), shown_->total_width, uint16_t(shown_->height), 0, 0,
        uint16_t(shown_->width), uint16_t(shown_->height), 0, 0, depth_, XCB_IMAGE_FORMAT_Z_PIXMAP,
        1, shown_->seg, shown_->offset);
    pending_.push_back({c.sequence, shown_->key, ++serial_});
    xcb_flush(conn_);
    still_of_ = shown_;
    still_serial_ = serial_;
    *bytes = 0;
    return {};
}

std::optional<ShownPixels> X11ShmView::shown_copy() const {
    if (!visible_ || !still_.get() || !still_of_)
        return std::nullopt;
    // A screenshot of the kept frame: read back from the server's pixmap.
    xcb_get_image_reply_t* r = xcb_get_image_reply(
        conn_,
        xcb_get_image(conn_, XCB_IMAGE_FORMAT_Z_PIXMAP, still_.get(), 0, 0, uint16_t(still_w_),
                      uint16_t(still_h_), ~0u),
        nullptr);
    if (!r)
        return std::nullopt;
    const size_t need = size_t(still_w_) * still_h_ * 4;
    const size_t got = size_t(xcb_get_image_data_length(r));
    if (got >= need)
        still_pixels_.assign(xcb_get_image_data(r), xcb_get_image_data(r) + need);
    std::free(r);
    if (got < need)
        return std::nullopt;
    return ShownPixels{still_pixels_.data(), still_w_, still_h_, still_w_ * 4,
                       depth_ == 32 ? uint32_t(DRM_FORMAT_ARGB8888) : uint32_t(DRM_FORMAT_XRGB8888)};
}

uint64_t X11ShmView::put(Entry& e, std::span<const vdmabuf_rect> rects) {
    // Clipped to the buffer: the server refuses a source outside it.
    std::vector<vdmabuf_rect> clipped;
    for (const vdmabuf_rect& r : rects) {
        const uint32_t x = std::min(r.x, e.width), y = std::min(r.y, e.height);
        const uint32_t w = std::min(r.width, e.width - x), h = std::min(r.height, e.height - y);
        if (w && h)
            clipped.push_back({x, y, w, h});
    }
    if (clipped.empty())
        clipped.push_back({0, 0, e.width, e.height});
    xcb_void_cookie_t last{};
    for (const vdmabuf_rect& r : clipped) {
        // Only the last asks for a completion: requests run in order.
        const bool completion = &r == &clipped.back();
        last = xcb_shm_put_image(conn_, uint32_t(t_.window), gc_.get(), e.total_width,
                                 uint16_t(e.height), uint16_t(r.x), uint16_t(r.y),
                                 uint16_t(r.width), uint16_t(r.height), int16_t(x_ + int(r.x)),
                                 int16_t(y_ + int(r.y)), depth_, XCB_IMAGE_FORMAT_Z_PIXMAP,
                                 completion ? 1 : 0, e.seg, e.offset);
    }
    pending_.push_back({last.sequence, e.key, ++serial_});
    // Now rather than at the loop's next poll: the latency is the guest's.
    xcb_flush(conn_);
    return serial_;
}

void X11ShmView::completed(const XEvent& xev) {
    CompletionXEvent ev;
    std::memcpy(&ev, &xev, sizeof ev);
    bool ours = false;
    for (const auto& [key, seg] : segments_)
        ours = ours || seg.seg.get() == ev.shmseg;
    if (!ours)
        return; // someone else's put on this connection (EGL's, say)
    // Requests run in order: this put and every one before it are done.
    const uint32_t done = uint32_t(ev.any.serial);
    while (!pending_.empty() && int32_t(pending_.front().sequence - done) <= 0) {
        const Pending& p = pending_.front();
        if (auto it = buffers_.find(p.key); it != buffers_.end())
            it->second.completed = std::max(it->second.completed, p.serial);
        pending_.pop_front();
    }
}

bool X11ShmView::released(const vdmabuf_id& id, uint64_t serial) const {
    auto it = buffers_.find(BufferKey(id));
    if (it == buffers_.end())
        return true;
    const Entry& e = it->second;
    if (e.completed < serial)
        return false; // the server may still read it
    // The shown frame is put again after an Expose, unless a pixmap keeps it.
    if (visible_ && &e == shown_)
        return still_of_ == &e && e.completed >= still_serial_;
    return true;
}

bool X11ShmView::place(int, int, int, int) {
    if (!visible_ || !shown_)
        return true;
    uint32_t ww = 0, wh = 0;
    if (!fit(*shown_, &ww, &wh))
        return false;
    const int x = int(ww - shown_->width) / 2, y = int(wh - shown_->height) / 2;
    if (!exposed_ && x == x_ && y == y_ && ww == window_w_ && wh == window_h_)
        return true;
    // Moved, resized or exposed: the frame again, from the pixmap that keeps
    // it, else from its guest buffer (still held: see released()).
    x_ = x, y_ = y;
    exposed_ = false;
    paint_bars(*shown_, ww, wh);
    if (still_of_ == shown_) {
        xcb_copy_area(conn_, still_.get(), uint32_t(t_.window), gc_.get(), 0, 0, int16_t(x_),
                      int16_t(y_), uint16_t(still_w_), uint16_t(still_h_));
        xcb_flush(conn_);
    } else {
        (void)put(*shown_, {});
    }
    draw_hud({});
    return true;
}

void X11ShmView::wait_released() {
    if (pending_.empty())
        return;
    // After a round trip the server has executed every put sent before it,
    // and their completions are in Xlib's queue.
    XSync(t_.dpy, False);
    XEvent ev;
    while (XCheckTypedEvent(t_.dpy, completion_type_, &ev))
        completed(ev);
    for (const Pending& p : pending_) // executed, whatever became of the event
        if (auto it = buffers_.find(p.key); it != buffers_.end())
            it->second.completed = std::max(it->second.completed, p.serial);
    pending_.clear();
}

void X11ShmView::forget(const vdmabuf_id& id) {
    auto it = buffers_.find(BufferKey(id));
    if (it == buffers_.end())
        return;
    if (&it->second == shown_ && still_of_ == shown_) {
        // Gone from guest memory, kept in the pixmap: the window keeps it.
        shown_ = nullptr;
        still_of_ = nullptr;
    } else if (&it->second == shown_) {
        hide();
    }
    buffers_.erase(it);
}

void X11ShmView::forget_all() {
    hide();
    buffers_.clear();
    pending_.clear();
    segments_.clear(); // detached: new guest memory comes with new fds (and inodes)
    xcb_flush(conn_);
}

} // namespace vdmabuf::viewer
