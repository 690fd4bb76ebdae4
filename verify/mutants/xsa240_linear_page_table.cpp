// XSA-240: Xen's "linear" page tables (an Ln entry pointing at another Ln)
// could be chained without bound. The copy below accepts a read-only upper
// entry to any validated table of the same level, as linear page tables do,
// taking only a general reference.
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
        (void)table;
        auto f = pte_frame<V>(pte);
        // BUG: same-level (linear) entries are allowed when read-only.
        if (pte_present<V>(pte) && level != kTypeL1 && (pte & kPteRW) == 0 &&
            (pte & ~allowed_bits<V>(level)) == 0 && owned_by<V>(s, f, d) &&
            s.frames.type.get(f) == level && frame_has<V>(s, f, kFrameValidated) &&
            s.frames.count.get(f) < kMaxRefCount) {
            return get_page<V>(s, f);
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

Mutant make_xsa240_linear_page_table() {
    return {"xsa240_linear_page_table",
            "XSA-240",
            "mmu_update",
            "read-only same-level (linear) page-table entries are accepted, so tables chain to "
            "tables of their own level",
            {"hierarchy"},
            make_spec<Handler>("mmu_update", "mmu", "mutant of get_entry_refs",
                               {{"d", 16}, {"ptr", 64}, {"val", 64}}, caller_is_live)};
}

} // namespace enso::verify
