// XSA-185: a 32-bit PV guest could make an L3 entry point at the L3 itself
// (a recursive mapping) and so write its own page tables. The copy below
// lets an L4 entry map its own table, taking only a general reference.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/linear_pagetable.
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"
#include "verify/mutants/mmu_update_with.hpp"
#include "verify/mutants/page_table_steps.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct GetEntryRefs {
    template <class V>
    Rc operator()(State<V>& s, typename V::U16 d, typename V::U32 table, typename V::U8 level,
                  typename V::U64 pte) const {
        // BUG: a self-reference in an L4 is let through as "recursive".
        if (pte_present<V>(pte) && level == kTypeL4 && pte_frame<V>(pte) == table) {
            return get_page<V>(s, table);
        }
        return mutants::get_entry_refs_with<V>(s, d, level, pte, mutants::CoreGetPageType{});
    }
};

struct ModEntry {
    template <class V>
    Rc operator()(State<V>& s, typename V::U16 d, typename V::U32 table, typename V::U8 level,
                  typename V::U32 slot, typename V::U64 new_pte) const {
        return mutants::mod_entry_with<V>(s, d, table, level, slot, new_pte, GetEntryRefs{});
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

Mutant make_xsa185_recursive_l4() {
    return {"xsa185_recursive_l4",
            "XSA-185",
            "mmu_update",
            "an L4 entry may point at its own table (a recursive mapping) with no type reference",
            {"hierarchy"},
            make_spec<Handler>("mmu_update", "mmu", "mutant of get_entry_refs",
                               {{"d", 16}, {"ptr", 64}, {"val", 64}}, caller_is_live)};
}

} // namespace enso::verify
