// Which machine frames a domain's VM may touch, derived from the core's state
// and nothing else: the frames it owns (read-write) and the frames granted
// to it and mapped through one of its page tables (read-only when every such
// mapping is read-only). Identity P2M: a frame sits at guest-physical
// address == machine address. Pure, so it is tested without KVM.
#pragma once

#include "hvcore/core/core.hpp"

#include <cstdint>
#include <vector>

namespace enso::kvm {

enum class FrameAccess : std::uint8_t { none = 0, read = 1, write = 2 };

// One entry per machine frame.
std::vector<FrameAccess> frame_access(const core::CState& s, std::uint16_t d);

struct SlotRange {
    std::uint32_t first_frame = 0;
    std::uint32_t nr_frames = 0;
    bool readonly = false;

    friend bool operator==(const SlotRange&, const SlotRange&) = default;
};

// Maximal runs of consecutive frames with the same access, in frame order.
std::vector<SlotRange> access_runs(const std::vector<FrameAccess>& access);

} // namespace enso::kvm
