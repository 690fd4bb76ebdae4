// Creating a domain, and the per-item steps that tear one down. The driver
// (core.cpp) sequences the steps; each is small enough to prove on its own.
#pragma once

#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/memory_reservation.hpp"
#include "hvcore/core/pv_mmu.hpp"
#include "hvcore/core/table_work.hpp"
#include "hvcore/core/vcpu_root.hpp"

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
    s.doms.gnttab_status.set(d, kNoFrame);
    s.doms.shutdown_code.set(d, as_u8<V>(kNotShutDown));
    s.doms.effects.set(d, as_u8<V>(kEffectMemslots));
    return kOk;
}

// Teardown, last step: drop the allocation reference of every frame still
// owned; those others still reference (grant maps) stay until unmapped, and
// the domain id is free again once the last one goes.
// One frame of a dying domain: a descriptor frame the core held for it
// (hold_descriptor_frame) gives back that hold first.
template <class V>
ENSO_INLINE void domain_release_frame(State<V>& s, typename V::U32 f) {
    if (frame_has<V>(s, f, kFrameXenRef)) {
        release_xen_frame<V>(s, f);
    }
    frame_clear<V>(s, f, kFrameAllocated);
    put_page<V>(s, f);
}

template <class V>
ENSO_INLINE void domain_mark_dying(State<V>& s, typename V::U16 d) {
    // Free at once if it owns nothing (chosen, not branched on: V::select).
    using U8 = typename V::U8;
    s.doms.state.set(d, V::select(s.doms.tot_pages.get(d) == 0, U8(kDomFree), U8(kDomDying)));
    s.doms.shared_info.set(d, kNoFrame);
    s.doms.gnttab_nr_frames.set(d, 0);
    s.doms.gnttab_status.set(d, kNoFrame);
    s.doms.max_pages.set(d, 0);
}

// Teardown, once nothing of the domain's references a table: the core's
// shared pages (shared_info, grant table, v2 status frame) go back and the
// domain is dying.
// One step, so the verifier proves what the driver below runs.
template <class V>
ENSO_INLINE void domain_release_shared_frames(State<V>& s, typename V::U16 d) {
    release_xen_frame<V>(s, s.doms.shared_info.get(d));
    for (std::uint32_t i = 0; i < kMaxGrantFrames; ++i) {
        if (i < s.doms.gnttab_nr_frames.get(d)) {
            const auto gi = gnttab_frame_index<V>(d, i);
            release_xen_frame<V>(s, s.doms.gnttab_frame.get(gi));
            s.doms.gnttab_frame.set(gi, kNoFrame);
        }
    }
    if (s.doms.gnttab_status.get(d) != kNoFrame) {
        release_xen_frame<V>(s, s.doms.gnttab_status.get(d));
    }
    domain_mark_dying<V>(s, d);
}

// Domain destroy: every channel closed, every map it holds unmapped, its root,
// pins and vCPU roots dropped, its tables released top down (releasing the L4s' entries
// brings the L3s' type counts to zero, ...), the core's shared pages returned,
// then the allocation reference of every frame it owns. A driver over the
// steps above; frames others still map keep the domain dying until unmapped.
template <class V>
Rc domain_destroy(State<V>& s, typename V::U16 d) {
    if (!domain_live<V>(s, d)) {
        return kESRCH;
    }
    for (std::uint32_t p = 1; p < kMaxPorts; ++p) {
        if (s.evtchn.state.get(port_index<V>(d, p)) != EVTCHNSTAT_closed) {
            evtchn_close<V>(s, d, p);
        }
    }
    for (std::uint32_t h = 0; h < kMaxMaptrack; ++h) {
        if ((s.grants.map_flags.get(maptrack_index<V>(d, h)) & kMapInUse) != 0) {
            grant_unmap<V>(s, d, h, 0, 0);
        }
    }
    clear_baseptr<V>(s, d);
    for (typename V::U32 f = 1; f < s.nr_frames; f = f + 1) {
        if (owned_by<V>(s, f, d) && frame_has<V>(s, f, kFramePinned)) {
            unpin_table<V>(s, d, f);
        }
        if (owned_by<V>(s, f, d) && frame_has<V>(s, f, kFrameVcpuRoot)) {
            release_vcpu_root<V>(s, d, f);
        }
    }
    for (std::uint8_t level = kTypeL4; level >= kTypeL1; --level) {
        for (typename V::U32 f = 1; f < s.nr_frames; f = f + 1) {
            if (owned_by<V>(s, f, d) && s.frames.type.get(f) == level &&
                frame_has<V>(s, f, kFrameValidated) && s.frames.type_count.get(f) == 0) {
                devalidate_table<V>(s, f);
            }
        }
    }
    domain_release_shared_frames<V>(s, d);
    for (typename V::U32 f = 1; f < s.nr_frames; f = f + 1) {
        if (owned_by<V>(s, f, d)) {
            domain_release_frame<V>(s, f);
        }
    }
    s.doms.effects.set(d, as_u8<V>(kEffectMemslots | kEffectShutdown));
    return kOk;
}

} // namespace enso::core
