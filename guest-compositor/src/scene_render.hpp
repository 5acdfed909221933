// One frame of a wlr_scene output into its next buffer: wlroots 0.15's
// wlr_scene_output_commit, drawn with less work and the same pixels.
//
// wlroots 0.15 clears the whole damage, then draws every node under it, and its
// pixman renderer composites each texture through a transform (a nearest-filter
// scaling loop even for a plain translation) and each rect through an image it
// allocates and fills first. Here (RenderPath::culled):
//  - occlusion: each node is drawn only where no opaque node above it covers the
//    damage; the clear only where nothing opaque does. An opaque node is a rect
//    of alpha 1 or the opaque region of an unscaled surface (its whole box when
//    its buffer has no alpha channel).
//  - direct pixman: an unscaled, untransformed pixman surface is composited at
//    integer offsets with no transform and no mask, and an opaque rect as a solid
//    fill, so pixman takes its blit and fill paths. Inside a surface's opaque
//    region the operator is SRC (what OVER gives for alpha 1, without reading
//    the stale pixels below); elsewhere it is OVER, as in wlroots.
// Anything else in the scene (a scaled, transformed or viewported surface, a
// translucent rect, a scene buffer node), a disabled output or one with a
// transform or scale, a target that is not 32-bit (A|X)RGB, or a renderer that
// is not pixman: the whole frame goes through wlr_scene_output_commit unchanged.
// A client that promises an opaque region and puts alpha < 1 pixels there gets
// them copied as they are (wlroots would blend them over what lies below).
// RenderPath::wlroots always does (the reference the tests and the bench
// compare against).
#pragma once

#include "wlr/wlr.hpp"

#include <cstdint>

namespace vdmabuf::compositor {

enum class RenderPath { culled, wlroots };

struct RenderStats {
    uint64_t frames_culled = 0;  // rendered by the culled path
    uint64_t frames_wlroots = 0; // rendered by wlr_scene_output_commit
    uint64_t drawn_pixels = 0;   // pixels composited by the culled path
    uint64_t culled_pixels = 0;  // pixels wlroots would have drawn besides those
};

// Like wlr_scene_output_commit: false only if no buffer could be attached (all
// held); true also when there was nothing to draw (nothing is committed then).
[[nodiscard]] bool commit_scene_output(wlr_scene_output* scene_output, RenderPath path,
                                       RenderStats& stats);

} // namespace vdmabuf::compositor
