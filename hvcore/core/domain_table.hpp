// Per-domain records: lifecycle, memory quota, current page-table base, the
// frames the core shares with the domain, and effects the platform must apply.
#pragma once

#include "hvcore/core/value_domain.hpp"

#include <cstdint>

namespace enso::core {

enum DomainState : std::uint8_t {
    kDomFree = 0,
    kDomLive = 1,
    kDomDying = 2, // destroyed; some frames are still mapped by others
};

// Work a handler leaves for the platform (hvcore/kvm): flush the vCPU's TLB,
// re-derive the VM's memory slots, deliver an event upcall.
enum DomainEffect : std::uint8_t {
    kEffectTlbFlush = 1U << 0,
    kEffectInvlpg = 1U << 1,
    kEffectMemslots = 1U << 2,
    kEffectUpcall = 1U << 3,
    kEffectShutdown = 1U << 4,
    kEffectBlock = 1U << 5, // SCHEDOP_block: sleep until an upcall is pending
};

inline constexpr std::uint8_t kNotShutDown = 0xff;

template <class V>
struct DomainTable {
    typename V::template Array<typename V::U8> state;        // DomainState
    typename V::template Array<typename V::U32> tot_pages;   // frames owned
    typename V::template Array<typename V::U32> max_pages;   // quota
    typename V::template Array<typename V::U32> baseptr;     // current L4, kNoFrame if none
    typename V::template Array<typename V::U32> shared_info; // frame, kNoFrame if none
    typename V::template Array<typename V::U8> gnttab_nr_frames;
    typename V::template Array<typename V::U32> gnttab_frame; // (dom << kGrantFrameBits) | i
    // Grant table v2's status frame; kNoFrame while the table is at version 1.
    typename V::template Array<typename V::U32> gnttab_status;
    typename V::template Array<typename V::U8> shutdown_code; // SHUTDOWN_*, kNotShutDown
    typename V::template Array<typename V::U8> effects;       // DomainEffect bits
    typename V::template Array<typename V::U64> invlpg_va;
};

} // namespace enso::core
