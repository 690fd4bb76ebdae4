// Changing one entry of a validated page table: Xen's mod_l1_entry and
// mod_l{2,3,4}_entry, one function for every level.
#pragma once

#include "hvcore/core/table_entry_refs.hpp"

namespace enso::core {

// Writes new_pte into slot of table (typed `level`, owned by d). The new
// entry's references are taken before the old one's are dropped, so a failed
// update changes nothing.
template <class V>
ENSO_INLINE Rc mod_entry(State<V>& s, typename V::U16 d, typename V::U32 table,
                         typename V::U8 level, typename V::U32 slot, typename V::U64 new_pte) {
    auto old_pte = s.mem.load64(table, slot);
    if (level == kTypeL1 && pte_present<V>(old_pte) && is_grant_pte<V>(s, d, old_pte)) {
        return kEPERM; // grant mappings are removed by GNTTABOP_unmap_grant_ref only
    }
    auto fast_bits = ENSO_MUTATED(V, kFastPathSuperpage, kFastPathBits, kFastPathBits | kPtePSE);
    fast_bits = ENSO_MUTATED(V, kFastPathRw, fast_bits, fast_bits | kPteRW);
    if (pte_present<V>(old_pte) && pte_present<V>(new_pte) &&
        ((old_pte ^ new_pte) & ~fast_bits) == 0) {
        if (ENSO_CHECKED(V, kFastPathSuperpage, (new_pte & ~allowed_bits<V>(level)) != 0)) {
            return kEINVAL;
        }
        s.mem.store64(table, slot, new_pte); // same frame, same rights
        return kOk;
    }
    if (ENSO_MUTATION(V, kRecursiveRootEntry)) {
        if (pte_present<V>(new_pte) && level == kTypeL4 && pte_frame<V>(new_pte) == table) {
            get_page<V>(s, table);
            s.mem.store64(table, slot, new_pte);
            drop_entry_refs<V>(s, level, old_pte);
            return kOk;
        }
    }
    if (Rc rc = get_entry_refs<V>(s, d, level, new_pte); rc != kOk) {
        return rc;
    }
    s.mem.store64(table, slot, new_pte);
    drop_entry_refs<V>(s, level, old_pte); // not a grant PTE: refused above
    return kOk;
}

} // namespace enso::core
