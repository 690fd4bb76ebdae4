// XENMEM_{increase,decrease}_reservation and populate_physmap, per extent
// (order 0). The allocator's choice of frame is an argument: the driver picks
// a free frame, the handler checks it, so the verifier covers every choice.
#pragma once

#include "hvcore/core/frame_refs.hpp"

namespace enso::core {

template <class V>
ENSO_INLINE typename V::Bool frame_free(const State<V>& s, typename V::U32 f) {
    return f != 0 && f < s.nr_frames && !frame_has<V>(s, f, kFrameAllocated) &&
           s.frames.count.get(f) == 0;
}

// Gives free frame f to d, scrubbed. Machine frame 0 is never handed out, so
// a zero machine address can mean "none".
template <class V>
ENSO_INLINE Rc assign_frame(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!frame_free<V>(s, f)) {
        return kEBUSY;
    }
    if (!ENSO_MUTATION(V, kFrameNotScrubbed)) {
        s.mem.clear_frame(f);
    }
    s.frames.owner.set(f, d);
    s.frames.count.set(f, 1); // the allocation reference
    s.frames.type.set(f, as_u8<V>(kTypeNone));
    s.frames.type_count.set(f, 0);
    s.frames.flags.set(f, as_u8<V>(kFrameAllocated));
    s.doms.tot_pages.set(d, s.doms.tot_pages.get(d) + 1);
    add_effect<V>(s, d, kEffectMemslots);
    return kOk;
}

// One extent of increase_reservation / populate_physmap, within the quota.
template <class V>
ENSO_INLINE Rc reserve_frame(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!domain_live<V>(s, d)) {
        return kESRCH;
    }
    if (s.doms.tot_pages.get(d) >= s.doms.max_pages.get(d)) {
        return kENOMEM;
    }
    return assign_frame<V>(s, d, f);
}

// One extent of decrease_reservation. Only a frame nothing else references
// may go: Enso refuses instead of Xen's deferred free, so a live domain never
// owns half-freed frames (and a pinned table is never implicitly unpinned,
// XSA-252).
template <class V>
ENSO_INLINE Rc release_frame(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!owned_by<V>(s, f, d)) {
        return kEINVAL;
    }
    if (frame_has<V>(s, f, kFrameXenRef) || frame_has<V>(s, f, kFramePinned) ||
        s.frames.count.get(f) != 1 || s.frames.type_count.get(f) != 0) {
        return kEBUSY;
    }
    auto type = s.frames.type.get(f);
    if (ENSO_CHECKED(V, kReleaseLiveTable, is_pagetable_type<V>(type))) {
        return need_table_work<V>(s, kWorkDevalidate, f, type);
    }
    frame_clear<V>(s, f, kFrameAllocated);
    put_page<V>(s, f);
    // d's TLB may still translate to f (a mapping d removed without a
    // flush): flushed before d runs again, so that f's next owner is out of
    // its reach. Xen defers this to f's reuse (its TLB-flush clock).
    add_effect<V>(s, d, kEffectTlbFlush);
    return kOk;
}

// Frames the core shares with a domain (shared_info, grant-table frames):
// owned by the domain, but the core holds a general and a writable-type
// reference so they can never become page tables or be released by the guest.
template <class V>
ENSO_INLINE Rc assign_xen_frame(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (Rc rc = assign_frame<V>(s, d, f); rc != kOk) {
        return rc;
    }
    s.frames.count.set(f, 2);
    s.frames.type.set(f, as_u8<V>(kTypeWritable));
    s.frames.type_count.set(f, 1);
    frame_set<V>(s, f, kFrameXenRef);
    return kOk;
}

// A frame of d's in which the platform keeps d's descriptor tables and
// exception stubs (GDT, IDT, TSS, trampolines): as for a shared page, the
// core holds a general and a type reference, here of the descriptor type,
// which no writable mapping can take (Xen's seg_desc pages). So d maps it
// read-only or not at all, and can never retype, grant or release it. It
// must not hold a type yet (no writable mapping, not a page table).
template <class V>
ENSO_INLINE Rc hold_descriptor_frame(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!owned_by<V>(s, f, d) || frame_has<V>(s, f, kFrameXenRef) ||
        frame_has<V>(s, f, kFramePinned) || s.frames.type_count.get(f) != 0) {
        return kEINVAL;
    }
    s.frames.count.set(f, s.frames.count.get(f) + 1);
    s.frames.type.set(f, as_u8<V>(kTypeSegDesc));
    s.frames.type_count.set(f, 1);
    frame_set<V>(s, f, kFrameXenRef);
    return kOk;
}

template <class V>
ENSO_INLINE void release_xen_frame(State<V>& s, typename V::U32 f) {
    frame_clear<V>(s, f, kFrameXenRef);
    put_page_type<V>(s, f);
    put_page<V>(s, f);
}

} // namespace enso::core
