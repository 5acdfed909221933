#define VDM_LOG_SCOPE "bench"
#include "comparison.hpp"

#include "conditions.hpp"
#include "floor.hpp"

#include <vdmabuf/shared/log.hpp>

#include <memory>

#include "vdmabuf_wire.h"

namespace vdmabuf::bench {
namespace {

constexpr uint64_t k60FpsNs = 16'666'667;

bool run_pair(const ComparisonOptions& opt, RoundTripOptions rt, RoundTripResult& off,
              RoundTripResult& on) {
    rt.busy_poll_us = 0;
    off = run_round_trip(rt);
    rt.busy_poll_us = opt.busy_poll_us;
    on = run_round_trip(rt);
    return off.ok && on.ok;
}

bool run_condition(const ComparisonOptions& opt, const std::string& name, ConditionResult& out) {
    out.name = name;
    // Held for the whole condition: the floor and both runs see the same machine.
    std::unique_ptr<Burners> burners;
    std::unique_ptr<PinnedToOneCpu> pinned;
    if (name == "busy")
        burners = std::make_unique<Burners>();
    if (name == "pinned") {
        pinned = std::make_unique<PinnedToOneCpu>();
        if (!pinned->ok())
            return false;
    }
    if (!run_socketpair_floor(opt.rounds * 2, 500, sizeof(vdmabuf_cmd_present),
                              sizeof(vdmabuf_evt_release), out.floor_ns)) {
        VDM_ERROR("%s: floor measurement failed", name.c_str());
        return false;
    }
    RoundTripOptions rt;
    rt.rounds = opt.rounds;
    if (!run_pair(opt, rt, out.off, out.on)) {
        VDM_ERROR("%s: round trip failed", name.c_str());
        return false;
    }
    return true;
}

} // namespace

bool run_comparison(const ComparisonOptions& opt, Comparison& out) {
    out.busy_poll_us = opt.busy_poll_us;
    for (const char* name : {"idle", "busy", "pinned"}) {
        out.conditions.emplace_back();
        if (!run_condition(opt, name, out.conditions.back()))
            return false;
    }
    RoundTripOptions paced;
    paced.rounds = opt.paced_frames;
    paced.warmup = 10;
    paced.interval_ns = k60FpsNs;
    out.paced_frames = opt.paced_frames;
    if (!run_pair(opt, paced, out.paced_off, out.paced_on)) {
        VDM_ERROR("paced 60 fps run failed");
        return false;
    }
    return true;
}

} // namespace vdmabuf::bench
