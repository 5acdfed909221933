// The Wayland window's middle fallback, for buffers the compositor cannot
// read from guest memory itself (read-only fds, scattered extents, past
// wl_shm's int32 offsets): the viewer copies the frame into wl_shm buffers of
// its own (one memfd each) with a memcpy of the damaged rectangles only, and
// the guest buffer goes back at once. A buffer is written only after the
// compositor released it; each remembers which frame it holds, and the
// damage of the frames it missed is copied with the new frame's (or the whole
// frame when that history is not known).
#pragma once

#include "present/presenter.hpp"
#include "present/wayland_handles.hpp"

#include <vdmabuf/consumer/events.hpp>
#include <vdmabuf/consumer/import.hpp>
#include <vdmabuf/shared/c_handle.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace vdmabuf::viewer {

// wl_shm's code for a DRM fourcc: the two mandatory formats are 0 and 1,
// every other one is the fourcc itself.
[[nodiscard]] uint32_t wl_shm_format_of(uint32_t fourcc);

class WaylandShmCopy {
public:
    // The compositor holds the shown buffer and may keep the one before
    // until its next repaint; a third covers a release still in flight. All
    // three held even after a round trip: that frame takes GL (the caller's
    // fallback) rather than blocking the loop on a compositor that does not
    // repaint (hidden window) or allocating without bound.
    static constexpr size_t kMaxBuffers = 3;

    // formats: the wl_shm formats the compositor announced (kept by the caller).
    WaylandShmCopy(wl_display* display, wl_shm* shm, const std::set<uint32_t>* formats)
        : display_(display), shm_(shm), formats_(formats) {}
    ~WaylandShmCopy() = default;
    WaylandShmCopy(const WaylandShmCopy&) = delete;
    WaylandShmCopy& operator=(const WaylandShmCopy&) = delete;

    // Brings a buffer the compositor does not hold up to this frame (damage:
    // what changed since the previous frame; empty: all) and returns it, to
    // be attached and committed now: it counts as held until its release.
    // *bytes: the pixel bytes copied. nullptr and *why (nothing changed) when
    // this frame cannot be copied.
    [[nodiscard]] wl_buffer* copy(const consumer::BufferInfo& info, consumer::Import& import,
                                  std::span<const vdmabuf_rect> damage, int64_t* bytes,
                                  std::string* why);
    // The surface showed frames this class did not copy (guest memory, GL):
    // what each buffer holds no longer follows from the damage seen.
    void invalidate();
    // The pixels of the last copy (for a screenshot); nullopt before any.
    [[nodiscard]] std::optional<ShownPixels> last() const;

private:
    struct Slot {
        wl::Buffer proxy;
        Mapping memory;
        uint32_t width = 0, height = 0, stride = 0, fourcc = 0;
        uint64_t frame = 0; // the frame it holds (numbered by copy()); 0: unknown
        bool held = false;  // attached, its wl_buffer.release not come yet
    };
    // A frame's damage, kept so a buffer that missed it can catch up.
    struct Past {
        uint64_t frame = 0;
        bool whole = false;
        std::vector<vdmabuf_rect> rects; // clipped to the frame
    };

    // A free buffer of this layout holding the newest frame, else a new one
    // while under kMaxBuffers; nullptr (and *why) when none can be had.
    Slot* pick(const consumer::BufferInfo& info, std::string* why);
    Slot* allocate(const consumer::BufferInfo& info, std::string* why);
    // The rectangles to copy into `slot` for the frame `damage` ends: its
    // missed frames' and this one's; nullopt: the whole frame.
    std::optional<std::vector<vdmabuf_rect>> catch_up(const Slot& slot,
                                                      std::span<const vdmabuf_rect> damage) const;
    static void on_release(void* data, wl_buffer* buffer);

    wl_display* display_;
    wl_shm* shm_;
    const std::set<uint32_t>* formats_;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::deque<Past> history_;                     // the newest frames, oldest first
    uint64_t frame_ = 0;                           // frames copied so far
    uint32_t width_ = 0, height_ = 0, fourcc_ = 0; // the last frame's
    const Slot* last_ = nullptr;
};

} // namespace vdmabuf::viewer
