// What one present page-table entry holds on its target, and the per-entry
// steps that validate or release a whole table (the driver loops over them).
#pragma once

#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/page_table_entry.hpp"

namespace enso::core {

// A leaf entry of domain d's table that maps a frame d does not own (not
// allocated to d) was installed by a grant map; the maptrack entry, not the
// PTE, holds its references, and only a grant unmap may remove it. A
// self-grant's PTE maps an own frame: it is an own entry, with its
// references, besides the grant's.
template <class V>
ENSO_INLINE typename V::Bool is_grant_pte(const State<V>& s, typename V::U16 d,
                                          typename V::U64 pte) {
    return !owned_by<V>(s, pte_frame<V>(pte), d);
}

// Takes the references a new entry at level `level` of a table owned by d
// needs. On failure nothing has changed.
template <class V>
ENSO_INLINE Rc get_entry_refs(State<V>& s, typename V::U16 d, typename V::U8 level,
                              typename V::U64 pte) {
    if (!pte_present<V>(pte)) {
        return kOk;
    }
    if ((pte & ~allowed_bits<V>(level)) != 0) {
        return kEINVAL; // disallowed flags, superpages among them
    }
    auto f = pte_frame<V>(pte);
    if (!owned_by<V>(s, f, d)) {
        return kEPERM; // only grant maps put foreign frames in a table
    }
    if (s.frames.count.get(f) >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    // A type reference unless it is a read-only leaf: writable for a leaf,
    // the next level down for an upper entry (which refuses linear,
    // same-level, entries).
    using U8 = typename V::U8;
    auto typed = level != kTypeL1 || (pte & kPteRW) != 0;
    typed = ENSO_MUTATED(V, kSameLevelEntry, typed,
                         typed && !(level != kTypeL1 && (pte & kPteRW) == 0 &&
                                    s.frames.type.get(f) == level &&
                                    frame_has<V>(s, f, kFrameValidated)));
    auto type = V::select(level == kTypeL1, U8(kTypeWritable), as_u8<V>(level - 1));
    if (Rc rc = get_page_type_if<V>(s, f, type, typed); rc != kOk) {
        return rc;
    }
    return get_page<V>(s, f);
}

// Drops what an entry known not to be a grant PTE held. No flush here: a
// stale translation only matters once the frame changes type, and
// validation asks for the flush then.
template <class V>
ENSO_INLINE void drop_entry_refs(State<V>& s, typename V::U8 level, typename V::U64 pte) {
    if (!pte_present<V>(pte)) {
        return;
    }
    using U32 = typename V::U32;
    auto f = pte_frame<V>(pte);
    // A type reference unless it is a read-only leaf (chosen: V::select).
    auto typed = level != kTypeL1 || (pte & kPteRW) != 0;
    s.frames.type_count.set(f, s.frames.type_count.get(f) - V::select(typed, U32(1), U32(0)));
    put_page<V>(s, f);
}

// Drops what any entry of a table owned by d held; grant PTEs hold nothing.
template <class V>
ENSO_INLINE void put_entry_refs(State<V>& s, typename V::U16 d, typename V::U8 level,
                                typename V::U64 pte) {
    if (level == kTypeL1 && pte_present<V>(pte) && is_grant_pte<V>(s, d, pte)) {
        return;
    }
    drop_entry_refs<V>(s, level, pte);
}

// Validation step: entry `slot` of table f (being promoted to `level`).
template <class V>
ENSO_INLINE Rc validate_entry(State<V>& s, typename V::U32 f, typename V::U8 level,
                              typename V::U32 slot) {
    auto d = s.frames.owner.get(f);
    const auto e = s.mem.load64(f, slot);
    const Rc rc = ENSO_MUTATED(V, kValidateTakesNoRefs, get_entry_refs<V>(s, d, level, e), kOk);
    if (rc != kOk) {
        return rc;
    }
    // A 64-bit PV kernel runs in ring 3: like Xen (adjust_guest_l*e as it
    // validates a table), a present entry the guest wrote without _PAGE_USER
    // gets it. The guest cannot write the table meanwhile: it is in this
    // call, and the table is no longer mapped writable.
    if ((e & (kPteP | kPteUS)) == kPteP) {
        s.mem.store64(f, slot, e | kPteUS);
    }
    return kOk;
}

// Release step: entry `slot` of table f, of the frame's current type.
template <class V>
ENSO_INLINE void release_entry(State<V>& s, typename V::U32 f, typename V::U32 slot) {
    auto d = s.frames.owner.get(f);
    if (ENSO_MUTATION(V, kReleaseEntryKeepsRefs)) {
        return;
    }
    put_entry_refs<V>(s, d, s.frames.type.get(f), s.mem.load64(f, slot));
}

// Before validation: the frame takes the type, unvalidated, so entries of its
// own that would need it as something else are refused (self-references).
// A frame that was writable may still be writable through the owner's TLB:
// the owner is flushed before the table can be used.
template <class V>
ENSO_INLINE Rc begin_validation(State<V>& s, typename V::U32 f, typename V::U8 level) {
    if (s.frames.type_count.get(f) != 0 || frame_has<V>(s, f, kFrameValidated)) {
        return kEBUSY;
    }
    if (ENSO_CHECKED(V, kTableWithoutFlush, s.frames.type.get(f) == kTypeWritable)) {
        add_effect<V>(s, s.frames.owner.get(f), kEffectTlbFlush);
    }
    s.frames.type.set(f, level);
    return kOk;
}

template <class V>
ENSO_INLINE void end_validation(State<V>& s, typename V::U32 f, typename V::Bool ok) {
    if (ENSO_MUTATED(V, kValidatedAfterFailure, ok, typename V::Bool(true))) {
        frame_set<V>(s, f, kFrameValidated);
    } else {
        s.frames.type.set(f, as_u8<V>(kTypeNone));
    }
}

// After every entry was released: the frame is plain memory again. The
// owner's vCPU may still walk through it (an unlinked table the guest did not
// flush), so it is flushed before the guest can write the frame.
template <class V>
ENSO_INLINE void end_devalidation(State<V>& s, typename V::U32 f) {
    frame_clear<V>(s, f, kFrameValidated);
    s.frames.type.set(f, as_u8<V>(kTypeNone));
    add_effect<V>(s, s.frames.owner.get(f), kEffectTlbFlush);
}

} // namespace enso::core
