// XSA-148: PV superpage handling let a guest keep a PSE (superpage) L2
// entry through the fast path that skips revalidation. The copy of
// mod_entry below lets PSE change on the fast path and skips its flag check.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/superpage_entry.
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
        // BUG: PSE counts as a bit that needs no revalidation, and the
        // fast path trusts the new flags.
        if (pte_present<V>(old_pte) && pte_present<V>(new_pte) &&
            ((old_pte ^ new_pte) & ~(kFastPathBits | kPtePSE)) == 0) {
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

Mutant make_xsa148_superpage_fast_path() {
    return {"xsa148_superpage_fast_path",
            "XSA-148",
            "mmu_update",
            "the update fast path treats PSE as an attribute and skips the flag check, so a "
            "guest sets the superpage bit on a live entry",
            {"flags_allowed"},
            make_spec<Handler>("mmu_update", "mmu", "mutant of mod_entry",
                               {{"d", 16}, {"ptr", 64}, {"val", 64}}, caller_is_live)};
}

} // namespace enso::verify
