#include "hvcore/kvm/memslot_plan.hpp"

#include "hvcore/core/frame_table.hpp"
#include "hvcore/core/grant_state.hpp"
#include "hvcore/core/limits.hpp"

#include <algorithm>

namespace enso::kvm {

std::vector<FrameAccess> frame_access(const core::CState& s, std::uint16_t d) {
    std::vector<FrameAccess> access(s.nr_frames, FrameAccess::none);
    for (std::uint32_t f = 0; f < s.nr_frames; ++f) {
        if ((s.frames.flags.get(f) & core::kFrameAllocated) != 0 && s.frames.owner.get(f) == d) {
            access[f] = FrameAccess::write;
        }
    }
    for (std::uint32_t h = 0; h < core::kMaxMaptrack; ++h) {
        const auto mi = core::maptrack_index<core::Concrete>(d, h);
        const auto flags = s.grants.map_flags.get(mi);
        if ((flags & core::kMapInUse) == 0 || (flags & core::kMapPte) == 0) {
            continue;
        }
        const auto gi = core::grant_index<core::Concrete>(s.grants.map_granter.get(mi),
                                                          s.grants.map_ref.get(mi));
        const auto f = s.grants.act_frame.get(gi);
        if (f >= s.nr_frames) {
            continue;
        }
        const auto want =
            (flags & core::kMapReadonly) != 0 ? FrameAccess::read : FrameAccess::write;
        access[f] = std::max(access[f], want);
    }
    return access;
}

std::vector<SlotRange> access_runs(const std::vector<FrameAccess>& access) {
    std::vector<SlotRange> runs;
    const auto n = static_cast<std::uint32_t>(access.size());
    for (std::uint32_t f = 0; f < n;) {
        if (access[f] == FrameAccess::none) {
            ++f;
            continue;
        }
        std::uint32_t end = f + 1;
        while (end < n && access[end] == access[f]) {
            ++end;
        }
        runs.push_back({f, end - f, access[f] == FrameAccess::read});
        f = end;
    }
    return runs;
}

} // namespace enso::kvm
