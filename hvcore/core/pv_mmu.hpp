// The PV MMU's per-entry handlers: one mmu_update request, each mmuext_op
// command, update_va_mapping. Batches are looped over by the dispatcher.
#pragma once

#include "hvcore/core/page_table_update.hpp"

namespace enso::core {

// One MMU_NORMAL_PT_UPDATE / MMU_PT_UPDATE_PRESERVE_AD request. ptr is the
// machine address of the entry; a frame that is not a page table is written
// as plain memory, as Xen does, if it can be typed writable - except the
// frames the core shares with the guest (shared_info, grant table), which the
// guest writes itself under their own protocols.
template <class V>
ENSO_INLINE Rc mmu_update_entry(State<V>& s, typename V::U16 d, typename V::U64 ptr,
                                typename V::U64 val) {
    auto cmd = ptr & 3U;
    if (cmd != MMU_NORMAL_PT_UPDATE && cmd != MMU_PT_UPDATE_PRESERVE_AD) {
        return kENOSYS;
    }
    auto table = maddr_frame<V>(ptr);
    auto slot = maddr_slot<V>(ptr);
    if ((ptr >> kPageShift) >= as_u64<V>(s.nr_frames)) {
        return kEINVAL;
    }
    if (!owned_by<V>(s, table, d)) {
        return kEPERM;
    }
    if (cmd == MMU_PT_UPDATE_PRESERVE_AD) {
        val = val | (s.mem.load64(table, slot) & (kPteA | kPteD));
    }
    auto type = s.frames.type.get(table);
    if (is_pagetable_type<V>(type) && frame_has<V>(s, table, kFrameValidated)) {
        // Hold the table's type while its entry changes, so the new entry
        // cannot need the table as something else (a self-reference).
        auto tc = s.frames.type_count.get(table);
        if (tc >= kMaxRefCount) {
            return kEOVERFLOW;
        }
        s.frames.type_count.set(table, tc + 1);
        Rc rc = mod_entry<V>(s, d, table, type, slot, val);
        put_page_type<V>(s, table);
        return rc;
    }
    if (frame_has<V>(s, table, kFrameXenRef)) {
        return kEPERM; // the core's shared pages are the guest's to write, not ours
    }
    if (Rc rc = get_page_type<V>(s, table, as_u8<V>(kTypeWritable)); rc != kOk) {
        return rc;
    }
    s.mem.store64(table, slot, val);
    put_page_type<V>(s, table);
    // Never mapped: back to no type, so no flush is owed (chosen: V::select).
    auto untyped = type == kTypeNone && s.frames.type_count.get(table) == 0;
    s.frames.type.set(table, V::select(untyped, as_u8<V>(kTypeNone), s.frames.type.get(table)));
    return kOk;
}

// MMUEXT_PIN_L{1..4}_TABLE: validates (through the driver) and holds a type
// reference until unpinned. Not nestable.
template <class V>
ENSO_INLINE Rc pin_table(State<V>& s, typename V::U16 d, typename V::U32 f, typename V::U8 level) {
    if (ENSO_CHECKED(V, kPinAnyLevel, !is_pagetable_type<V>(level))) {
        return kEINVAL;
    }
    if (!owned_by<V>(s, f, d)) {
        return kEPERM;
    }
    if (ENSO_CHECKED(V, kPinTwice, frame_has<V>(s, f, kFramePinned))) {
        return kEINVAL;
    }
    if (s.frames.count.get(f) >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    if (Rc rc = get_page_type<V>(s, f, level); rc != kOk) {
        return rc;
    }
    get_page<V>(s, f);
    frame_set<V>(s, f, kFramePinned);
    return kOk;
}

template <class V>
ENSO_INLINE Rc unpin_table(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!owned_by<V>(s, f, d) || ENSO_MUTATED(V, kUnpinUnpinned, !frame_has<V>(s, f, kFramePinned),
                                              !is_pagetable_type<V>(s.frames.type.get(f)))) {
        return kEINVAL;
    }
    frame_clear<V>(s, f, kFramePinned);
    put_page_type<V>(s, f);
    put_page<V>(s, f);
    return kOk;
}

// MMUEXT_NEW_BASEPTR: the new root must be a pinned L4 of the caller's own.
template <class V>
ENSO_INLINE Rc new_baseptr(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!owned_by<V>(s, f, d) || !frame_has<V>(s, f, kFramePinned) ||
        s.frames.type.get(f) != kTypeL4) {
        return kEINVAL;
    }
    if (s.frames.count.get(f) >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    if (Rc rc = get_page_type<V>(s, f, as_u8<V>(kTypeL4)); rc != kOk) {
        return rc;
    }
    get_page<V>(s, f);
    auto old = s.doms.baseptr.get(d);
    s.doms.baseptr.set(d, f);
    if (old != kNoFrame) {
        put_page_type<V>(s, old);
        put_page<V>(s, old);
    }
    add_effect<V>(s, d, kEffectTlbFlush);
    return kOk;
}

// Drops the domain's root (teardown).
template <class V>
ENSO_INLINE void clear_baseptr(State<V>& s, typename V::U16 d) {
    auto old = s.doms.baseptr.get(d);
    if (old != kNoFrame) {
        s.doms.baseptr.set(d, kNoFrame);
        put_page_type<V>(s, old);
        put_page<V>(s, old);
    }
}

template <class V>
ENSO_INLINE Rc tlb_flush_local(State<V>& s, typename V::U16 d) {
    add_effect<V>(s, d, kEffectTlbFlush);
    return kOk;
}

template <class V>
ENSO_INLINE Rc invlpg_local(State<V>& s, typename V::U16 d, typename V::U64 va) {
    if (!canonical_va<V>(va)) {
        return kEINVAL;
    }
    s.doms.invlpg_va.set(d, va);
    add_effect<V>(s, d, kEffectInvlpg);
    return kOk;
}

// Finds the machine address of the L1 entry that maps va in d's current
// address space: 0 when the walk does not reach a present L1.
template <class V>
ENSO_INLINE typename V::U64 l1_entry_maddr(const State<V>& s, typename V::U16 d,
                                           typename V::U64 va) {
    auto table = s.doms.baseptr.get(d);
    if (table == kNoFrame || !canonical_va<V>(va)) {
        return 0;
    }
    for (unsigned level = 4; level > 1; --level) {
        auto e = s.mem.load64(table, va_slot<V>(va, level));
        if (!pte_present<V>(e)) {
            return 0;
        }
        table = pte_frame<V>(e);
    }
    return entry_maddr<V>(table, va_slot<V>(va, 1));
}

// update_va_mapping: mod_entry on the L1 slot that maps va, then the flush
// the guest asked for.
template <class V>
ENSO_INLINE Rc update_va_mapping(State<V>& s, typename V::U16 d, typename V::U64 va,
                                 typename V::U64 val, typename V::U64 flags) {
    auto maddr = l1_entry_maddr<V>(s, d, va);
    if (maddr == 0) {
        return kEINVAL;
    }
    auto table = maddr_frame<V>(maddr);
    if (!owned_by<V>(s, table, d) || s.frames.type.get(table) != kTypeL1) {
        return kEINVAL;
    }
    if (Rc rc = get_page_type<V>(s, table, as_u8<V>(kTypeL1)); rc != kOk) {
        return rc;
    }
    Rc rc = mod_entry<V>(s, d, table, as_u8<V>(kTypeL1), maddr_slot<V>(maddr), val);
    put_page_type<V>(s, table);
    if (rc != kOk) {
        return rc;
    }
    // The flush asked for, chosen rather than branched on (V::select): each
    // way would otherwise be a path through every success path above.
    using U8 = typename V::U8;
    auto flush = flags & UVMF_FLUSHTYPE_MASK;
    auto invlpg = flush == UVMF_INVLPG;
    auto effect = V::select(flush == UVMF_TLB_FLUSH, U8(kEffectTlbFlush),
                            V::select(invlpg, U8(kEffectInvlpg), U8(0)));
    s.doms.invlpg_va.set(d, V::select(invlpg, va, s.doms.invlpg_va.get(d)));
    s.doms.effects.set(d, as_u8<V>(s.doms.effects.get(d) | effect));
    return kOk;
}

} // namespace enso::core
