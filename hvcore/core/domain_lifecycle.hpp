// Creating a domain, and the per-item steps that tear one down. The driver
// (core.cpp) sequences the steps; each is small enough to prove on its own.
#pragma once

#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/memory_reservation.hpp"
#include "hvcore/core/pv_mmu.hpp"

namespace enso::core {

// shared_info_frame is a free frame the driver chose for the domain's
// shared_info page. Domain 0 is the monitor's back-end domain.
template <class V>
ENSO_INLINE Rc domain_create(State<V>& s, typename V::U16 d, typename V::U32 max_pages,
                 typename V::U32 shared_info_frame) {
    if (d >= kMaxDomains) {
        return kEINVAL;
    }
    if (s.doms.state.get(d) != kDomFree) {
        return kEEXIST;
    }
    if (Rc rc = assign_xen_frame<V>(s, d, shared_info_frame); rc != kOk) {
        return rc;
    }
    s.doms.state.set(d, as_u8<V>(kDomLive));
    s.doms.max_pages.set(d, max_pages);
    s.doms.baseptr.set(d, kNoFrame);
    s.doms.shared_info.set(d, shared_info_frame);
    s.doms.gnttab_nr_frames.set(d, 0);
    s.doms.shutdown_code.set(d, as_u8<V>(kNotShutDown));
    s.doms.effects.set(d, as_u8<V>(kEffectMemslots));
    return kOk;
}

// Teardown, last step: drop the allocation reference of every frame still
// owned; those others still reference (grant maps) stay until unmapped, and
// the domain id is free again once the last one goes.
template <class V>
ENSO_INLINE void domain_release_frame(State<V>& s, typename V::U32 f) {
    frame_clear<V>(s, f, kFrameAllocated);
    put_page<V>(s, f);
}

template <class V>
ENSO_INLINE void domain_mark_dying(State<V>& s, typename V::U16 d) {
    s.doms.state.set(d, as_u8<V>(kDomDying));
    s.doms.shared_info.set(d, kNoFrame);
    s.doms.gnttab_nr_frames.set(d, 0);
    s.doms.max_pages.set(d, 0);
    if (s.doms.tot_pages.get(d) == 0) {
        s.doms.state.set(d, as_u8<V>(kDomFree));
    }
}

} // namespace enso::core
