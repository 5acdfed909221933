// OutputPane, headless without zero-copy import: the newest frame's buffer is
// held in place (nothing read per frame) and copied out whole only on demand:
// a screenshot, the buffer or vdmabufd going away, or held too long.
#define VDM_LOG_SCOPE "viewer"
#include "output_pane.hpp"

#include "import/mapping_check.hpp"
#include "viewer.hpp"

#include <vdmabuf/shared/format.hpp>
#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/time.hpp>

#include <string>

namespace vdmabuf::viewer {
namespace {

// How long headless holds a frame in place before copying it out and
// releasing it, when vdmabufd does not say its --release-timeout (a daemon
// older than the 40-byte WELCOME): a bound well below its 2000 ms default.
// A frame still shown after it is copied once (a still or slow guest).
constexpr uint64_t kHeldInPlaceUnknownNs = 100'000'000u;
constexpr uint64_t kStillUnknownNs = 1'000'000'000u;

} // namespace

bool OutputPane::hold_in_place(BufferState& b, const consumer::PresentEvent& p) {
    const FormatInfo* f = format_info(b.info.fourcc);
    if (presenter_->is_window() || !f || !CpuFrame::supports(b.info.fourcc))
        return false;
    // Mapped once per buffer (cached by the import), checked now: a copy on
    // demand later cannot fail for the layout or the mapping.
    if (!b.import->map() || !plane0_fits(*f, b.info, b.import->size()))
        return false;
    release_held_in_place(); // flipped away by this frame
    held_in_place_ = HeldInPlace{p.id, p.sequence, &b, now_ns()};
    log_once("import path: the newest frame held in place, copied only on demand "
             "(headless: no window, nothing drawn)");
    count_copied(0, "held");
    shown_in_memory_ = false; // cpu_ is older than this frame
    shown_texture_ = 0;       // a later GL frame starts from a full upload
    shown_width_ = b.info.width;
    shown_height_ = b.info.height;
    shown_opaque_ = !f->has_alpha;
    return true;
}

void OutputPane::copy_out_held(const char* why, bool release) {
    if (!held_in_place_)
        return;
    const HeldInPlace h = *held_in_place_;
    held_in_place_.reset();
    const consumer::BufferInfo& info = h.buffer->info;
    // The whole frame: cpu_ may hold any earlier frame (or none), and the
    // damage since then is spread over PRESENTs of several buffers.
    cpu_.invalidate();
    const int64_t bytes = cpu_.update(info, h.buffer->import->map(), h.buffer->import->size(), {});
    if (bytes >= 0) {
        stats_.bytes_copied_on_demand += uint64_t(bytes);
        ++stats_.copies_on_demand;
        shown_in_memory_ = true;
    } // else: checked in hold_in_place(), not expected; the pane has no frame
    VDM_DEBUG("output %u: copied out buffer %s seq %llu (%lld bytes): %s", output_,
              buffer_name(h.id).c_str(), static_cast<unsigned long long>(h.sequence),
              static_cast<long long>(bytes), why);
    if (release)
        release_(h.id, h.sequence);
}

void OutputPane::release_held_in_place() {
    if (!held_in_place_)
        return;
    release_(held_in_place_->id, held_in_place_->sequence);
    held_in_place_.reset();
}

uint64_t OutputPane::held_in_place_limit_ns() const noexcept {
    // vdmabufd checks holds every quarter of its timeout (at most 250 ms):
    // half of it leaves a quarter for this loop to wake and copy.
    if (daemon_release_timeout_ms_)
        return uint64_t{daemon_release_timeout_ms_} * 500'000u;
    // Not said: a held-in-place copy is a cheap memcpy, taken early; a window's
    // or a zero-copy frame's costs more, taken at half the daemon's default.
    return held_in_place_ ? kHeldInPlaceUnknownNs : kStillUnknownNs;
}

int OutputPane::copy_out_deadline_ms() const noexcept {
    uint64_t since = 0;
    if (held_in_place_)
        since = held_in_place_->since_ns;
    else if (shown_zero_copy())
        since = zero_copy_since_ns_;
    else if (pass_through_buffer_ && presenter_->pass_through() &&
             presenter_->pass_through()->can_copy_out())
        since = pass_through_since_ns_;
    else
        return -1;
    const uint64_t now = now_ns(), due = since + held_in_place_limit_ns();
    return now >= due ? 0 : int((due - now + 999'999u) / 1'000'000u);
}

BufferState* OutputPane::shown_zero_copy() const {
    BufferState* b = zero_copy_buffer_;
    return b && shown_texture_ && !shown_in_memory_ && shown_texture_ == dmabuf_->cached(b->info.id)
               ? b
               : nullptr;
}

void OutputPane::copy_out_zero_copy(const char* why) {
    BufferState* b = shown_zero_copy();
    zero_copy_buffer_ = nullptr;
    if (!b || !presenter_->context().make_current())
        return;
    int64_t bytes = -1;
    if (!presenter_->is_window()) {
        drop_zero_copy_frame(); // the FBO read back into cpu_
        bytes = shown_in_memory_ ? int64_t(shown_width_) * shown_height_ * 4 : -1;
    } else if (const uint8_t* map = b->import ? b->import->map() : nullptr) {
        // A window redraws (expose, resize) from this texture from now on.
        copy_->invalidate();
        bytes = copy_->upload(b->info, map, b->import->size(), {});
        if (bytes >= 0)
            shown_texture_ = copy_->texture();
    }
    if (bytes < 0) {
        VDM_DEBUG("output %u: cannot copy out buffer %s (%s); vdmabufd's timeout will take it",
                  output_, buffer_name(b->info.id).c_str(), why);
        return;
    }
    stats_.bytes_copied_on_demand += uint64_t(bytes);
    ++stats_.copies_on_demand;
    // Nothing samples the dma-buf any more once the GL work so far is done.
    for (Held& h : held_) {
        if (!h.zero_copy || !consumer::same_id(h.id, b->info.id))
            continue;
        h.superseded = true;
        h.fenced = true;
        h.swap = 0;
        h.fence = EglFence::fence_or_finish(presenter_->context().display());
        h.fenced_ns = now_ns();
    }
    VDM_DEBUG("output %u: copied out zero-copy buffer %s (%lld bytes): %s", output_,
              buffer_name(b->info.id).c_str(), static_cast<long long>(bytes), why);
}

} // namespace vdmabuf::viewer
