// XSA-182: Xen's fast path for L4/L3 updates allowed flipping RW without
// revalidation, so a guest could make a page-table entry writable. The copy
// of mod_entry below lets RW change on the fast path.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/fastpath_rw_flip.
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"
#include "verify/mutants/mmu_update_with.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct ModEntry {
    template <class V>
    Rc operator()(State<V>& s, typename V::U16 d, typename V::U32 table, typename V::U8 level,
                  typename V::U32 slot, typename V::U64 new_pte) const {
        auto old_pte = s.mem.load64(table, slot);
        if (level == kTypeL1 && pte_present<V>(old_pte) && is_grant_pte<V>(s, d, old_pte)) {
            return kEPERM;
        }
        // BUG: RW is not among the bits that keep a mapping's rights.
        if (pte_present<V>(old_pte) && pte_present<V>(new_pte) &&
            ((old_pte ^ new_pte) & ~(kFastPathBits | kPteRW)) == 0) {
            if ((new_pte & ~allowed_bits<V>(level)) != 0) {
                return kEINVAL;
            }
            s.mem.store64(table, slot, new_pte);
            return kOk;
        }
        if (Rc rc = get_entry_refs<V>(s, d, level, new_pte); rc != kOk) {
            return rc;
        }
        s.mem.store64(table, slot, new_pte);
        drop_entry_refs<V>(s, level, old_pte);
        return kOk;
    }
};

struct Handler {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return mutants::mmu_update_with<V>(s, a.u16(0), a.u64(1), a.u64(2), ModEntry{},
                                           mutants::CoreGetPageType{});
    }
};

} // namespace

Mutant make_xsa182_fast_path_rw() {
    return {"xsa182_fast_path_rw",
            "XSA-182",
            "mmu_update",
            "the update fast path lets RW flip without revalidation: a read-only mapping of a "
            "page table becomes writable",
            {"no_writable_pagetable", "type_count_matches"},
            make_spec<Handler>("mmu_update", "mmu", "mutant of mod_entry",
                               {{"d", 16}, {"ptr", 64}, {"val", 64}}, caller_is_live)};
}

} // namespace enso::verify
