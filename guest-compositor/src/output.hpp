// One vdmabuf display: a headless wlr_output rendered by the scene into its
// swapchain's buffers (guest memory with pixman, GBM dma-bufs with GLES2), each
// committed frame PRESENTed as device output `index`.
//
// Pacing: frames are rendered only when the scene has damage (wlr_scene_output_commit
// commits nothing otherwise), so an idle desktop sends nothing. Two paths render:
//  - the refresh tick (the headless backend's frame event): renders pending damage
//    and answers clients' frame callbacks, so clients animate at the refresh rate;
//  - a client commit that brings damage renders at once (from an idle callback),
//    without waiting for the next tick, when the host has at most one other frame
//    of this output in flight (a zero-copy viewer holds the one it shows) and
//    --max-fps allows it. It sends no frame callbacks: those stay on the tick. A
//    buffer coming back from the host renders pending damage the same way.
// A frame is skipped, never blocked on, when no buffer is free (all held by the
// host), when the device is away, or when --max-fps says it is too early; the retry
// timer then re-schedules the frame at the refresh interval while damage is pending,
// and clients still get frame callbacks. Whether every buffer is held is known from
// the exporter's count, so no render is attempted (and logged by wlroots as "No free
// output buffer slot") until one comes back.
#pragma once

#include "options.hpp"
#include "scene_render.hpp"
#include "wlr/handles.hpp"
#include "wlr/listener.hpp"

#include <cstdint>
#include <memory>

namespace vdmabuf::compositor {

class Server;

struct OutputStats {
    uint64_t frames_committed = 0;
    uint64_t frames_skipped_busy = 0;    // every buffer held by the host
    uint64_t frames_skipped_offline = 0; // no device
    uint64_t frames_throttled = 0;       // --max-fps
    uint64_t frames_immediate = 0;       // rendered on a client commit, not on the tick
};

class Output {
public:
    [[nodiscard]] static std::unique_ptr<Output> create(Server& server, wlr_output* wlr,
                                                        uint32_t index, const OutputMode& mode);
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    [[nodiscard]] uint32_t index() const { return index_; }
    [[nodiscard]] wlr_output* wlr() const { return wlr_; }

    // REFRESH from a new viewer, or a reconnect: the next frame is whole.
    void repaint_all();
    // After a reconnect: drop the swapchain of the old guest memory, repaint.
    void reset_swapchain();
    // A buffer of this output came back from the host: retry a skipped frame now.
    void handle_buffer_free();

    // MODE (device spec §8.5): a custom mode; the swapchain is reallocated at the
    // new size on the next frame (old buffers are UNEXPORTed once released).
    // refresh_mhz 0 keeps the current rate. False (logged) if wlroots refused.
    [[nodiscard]] bool set_mode(int32_t width, int32_t height, int32_t refresh_mhz);
    // OUTPUT (§6.5): tells the host this output's name and mode (connected), or
    // that it is gone. Nothing without a device or F_HOTPLUG.
    void announce(bool connected);
    // The layout moved this output: its background follows.
    void follow_layout();

private:
    Output(Server& server, wlr_output* wlr, uint32_t index);
    void handle_frame();
    void handle_needs_frame();
    static void handle_immediate(void* data);
    // Renders pending damage into a free buffer and PRESENTs it; false if skipped.
    bool render(uint64_t now);
    [[nodiscard]] bool throttled(uint64_t now) const;
    void handle_precommit();
    void handle_commit(wlr_output_event_commit* event);
    void skip_frame(int delay_ms);
    [[nodiscard]] bool damage_pending() const;
    [[nodiscard]] int refresh_interval_ms() const;
    void layout_background(int x, int y);
    void handle_mode();
    static int handle_retry(void* data);
    // Frame callbacks at most once per refresh interval, as a display's
    // vblank paces them: renders also happen at once on a commit and when the
    // host gives a buffer back, and answering each of those would let a
    // frame-callback client draw faster than the output's rate.
    void send_frame_done();
    static int handle_done_timer(void* data);

    Server& server_;
    wlr_output* wlr_;
    uint32_t index_;
    wlr_scene_output* scene_output_ = nullptr;
    wlr_scene_tree* background_ = nullptr; // tiles of kBackgroundTile
    WlEventSource retry_timer_;
    WlEventSource done_timer_; // a paced frame callback owed
    uint64_t last_done_ns_ = 0;
    bool done_owed_ = false;
    wl_event_source* immediate_ = nullptr; // one-shot idle source; libwayland frees it
    pixman_region32_t frame_damage_;
    bool rendering_ = false;  // inside our own wlr_scene_output_commit
    bool committed_ = false;  // that commit carried a buffer
    bool skipped_ = false;    // a frame is owed
    bool busy_ = false;       // every buffer is held by the host
    uint64_t last_commit_ns_ = 0;
    OutputStats stats_;
    RenderStats render_stats_;

    Listener<void> frame_;
    Listener<wlr_output> needs_frame_;
    Listener<wlr_output_event_precommit> precommit_;
    Listener<wlr_output_event_commit> commit_;
    Listener<wlr_output> mode_;
    Listener<wlr_output> destroy_;
};

} // namespace vdmabuf::compositor
