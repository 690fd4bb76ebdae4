// The whole state of the core, over a value domain V. Handlers are functions
// of (State, caller, arguments) -> (Rc, new State).
#pragma once

#include "hvcore/core/domain_table.hpp"
#include "hvcore/core/event_channel_state.hpp"
#include "hvcore/core/frame_table.hpp"
#include "hvcore/core/grant_state.hpp"
#include "hvcore/core/limits.hpp"
#include "hvcore/core/mutation.hpp"
#include "hvcore/core/xen_abi.hpp"

namespace enso::core {

// Whole-table work a handler asked the driver for (see kNeedsTableWork).
enum TableWork : std::uint8_t {
    kWorkNone = 0,
    kWorkValidate = 1,   // validate work_frame as page-table type work_type
    kWorkDevalidate = 2, // release the entries of the page table work_frame
};

template <class V>
struct State {
    typename V::U32 nr_frames{};
    FrameTable<V> frames;
    DomainTable<V> doms;
    GrantState<V> grants;
    EventChannelState<V> evtchn;
    typename V::Memory mem;

    // Scratch for kNeedsTableWork: not part of the abstract state.
    std::uint8_t work = kWorkNone;
    typename V::U32 work_frame{};
    typename V::U8 work_type{};
};

// Width changes, spelled short because handlers need them often.
template <class V, class T>
ENSO_INLINE typename V::U8 as_u8(T x) {
    return V::template cast<typename V::U8>(x);
}
template <class V, class T>
ENSO_INLINE typename V::U16 as_u16(T x) {
    return V::template cast<typename V::U16>(x);
}
template <class V, class T>
ENSO_INLINE typename V::U32 as_u32(T x) {
    return V::template cast<typename V::U32>(x);
}
template <class V, class T>
ENSO_INLINE typename V::U64 as_u64(T x) {
    return V::template cast<typename V::U64>(x);
}

template <class V>
ENSO_INLINE typename V::U32 port_index(typename V::U16 d, typename V::U32 port) {
    return (V::template cast<typename V::U32>(d) << kPortBits) | port;
}
template <class V>
ENSO_INLINE typename V::U32 grant_index(typename V::U16 d, typename V::U32 ref) {
    return (V::template cast<typename V::U32>(d) << kGrantRefBits) | ref;
}
template <class V>
ENSO_INLINE typename V::U32 maptrack_index(typename V::U16 d, typename V::U32 handle) {
    return (V::template cast<typename V::U32>(d) << kMaptrackBits) | handle;
}
template <class V>
ENSO_INLINE typename V::U32 gnttab_frame_index(typename V::U16 d, typename V::U32 i) {
    return (V::template cast<typename V::U32>(d) << kGrantFrameBits) | i;
}

// Domain ids a guest may name: its own, DOMID_SELF, or another in range.
template <class V>
ENSO_INLINE typename V::U16 resolve_domid(typename V::U16 caller, typename V::U16 named) {
    return V::select(named == DOMID_SELF, caller, named); // no branch: see V::select
}

template <class V>
ENSO_INLINE typename V::Bool domain_live(const State<V>& s, typename V::U16 d) {
    return d < kMaxDomains && s.doms.state.get(d) == kDomLive;
}

template <class V>
ENSO_INLINE void add_effect(State<V>& s, typename V::U16 d, typename V::U8 effect) {
    s.doms.effects.set(d, as_u8<V>(s.doms.effects.get(d) | effect));
}

} // namespace enso::core
