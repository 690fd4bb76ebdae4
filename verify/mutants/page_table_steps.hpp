// mod_entry and get_entry_refs (hvcore/core/page_table_update.hpp,
// table_entry_refs.hpp) with their inner steps as parameters, so a mutant
// replaces one step and keeps the rest of the core's code. Verifier only.
#pragma once

#include "hvcore/core/page_table_update.hpp"

namespace enso::verify::mutants {

// get_entry_refs, taking the type through get_page_type(s, frame, type).
template <class V, class GetPageType>
core::Rc get_entry_refs_with(core::State<V>& s, typename V::U16 d, typename V::U8 level,
                             typename V::U64 pte, GetPageType get_page_type) {
    using namespace core;
    if (!pte_present<V>(pte)) {
        return kOk;
    }
    if ((pte & ~allowed_bits<V>(level)) != 0) {
        return kEINVAL;
    }
    auto f = pte_frame<V>(pte);
    if (!owned_by<V>(s, f, d)) {
        return kEPERM;
    }
    if (s.frames.count.get(f) >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    if (level == kTypeL1) {
        if ((pte & kPteRW) != 0) {
            if (Rc rc = get_page_type(s, f, as_u8<V>(kTypeWritable)); rc != kOk) {
                return rc;
            }
        }
    } else if (Rc rc = get_page_type(s, f, as_u8<V>(level - 1)); rc != kOk) {
        return rc;
    }
    return get_page<V>(s, f);
}

// mod_entry, taking the new entry's references through
// get_entry_refs(s, d, table, level, pte).
template <class V, class GetEntryRefs>
core::Rc mod_entry_with(core::State<V>& s, typename V::U16 d, typename V::U32 table,
                        typename V::U8 level, typename V::U32 slot, typename V::U64 new_pte,
                        GetEntryRefs get_entry_refs) {
    using namespace core;
    auto old_pte = s.mem.load64(table, slot);
    if (level == kTypeL1 && pte_present<V>(old_pte) && is_grant_pte<V>(s, d, old_pte)) {
        return kEPERM;
    }
    if (pte_present<V>(old_pte) && pte_present<V>(new_pte) &&
        ((old_pte ^ new_pte) & ~kFastPathBits) == 0) {
        if ((new_pte & ~allowed_bits<V>(level)) != 0) {
            return kEINVAL;
        }
        s.mem.store64(table, slot, new_pte);
        return kOk;
    }
    if (Rc rc = get_entry_refs(s, d, table, level, new_pte); rc != kOk) {
        return rc;
    }
    s.mem.store64(table, slot, new_pte);
    drop_entry_refs<V>(s, level, old_pte);
    return kOk;
}

} // namespace enso::verify::mutants
