// XSA-401: a race in Xen's type handling let a page that was still a page
// table be taken as writable. The copy of get_page_type below changes a
// frame's type as soon as its type count is zero, without sending a
// still-validated table for devalidation first.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/retype_live_table.
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"
#include "verify/mutants/mmu_update_with.hpp"
#include "verify/mutants/page_table_steps.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct GetPageType {
    template <class V>
    Rc operator()(State<V>& s, typename V::U32 f, typename V::U8 t) const {
        auto tc = s.frames.type_count.get(f);
        auto cur = s.frames.type.get(f);
        auto validated = frame_has<V>(s, f, kFrameValidated);
        if (tc >= kMaxRefCount) {
            return kEOVERFLOW;
        }
        if (tc == 0) {
            if (is_pagetable_type<V>(cur) && !validated) {
                return kEINVAL;
            }
            if (cur != t) {
                // BUG: no devalidation of a table that is still validated.
                if (is_pagetable_type<V>(t)) {
                    return need_table_work<V>(s, kWorkValidate, f, t);
                }
                s.frames.type.set(f, t);
            }
        } else if (cur != t) {
            return kEINVAL;
        }
        s.frames.type_count.set(f, tc + 1);
        return kOk;
    }
};

struct GetEntryRefs {
    template <class V>
    Rc operator()(State<V>& s, typename V::U16 d, typename V::U32, typename V::U8 level,
                  typename V::U64 pte) const {
        return mutants::get_entry_refs_with<V>(s, d, level, pte, GetPageType{});
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
                                           GetPageType{});
    }
};

} // namespace

Mutant make_xsa401_retype_without_devalidation() {
    return {"xsa401_retype_without_devalidation",
            "XSA-401",
            "mmu_update",
            "a page table whose type count dropped to zero is retyped writable without "
            "devalidation: its entries keep their references and it stays marked validated",
            {"pagetable_validated", "no_leaked_references", "type_count_matches"},
            make_spec<Handler>("mmu_update", "mmu", "mutant of get_page_type",
                               {{"d", 16}, {"ptr", 64}, {"val", 64}}, caller_is_live)};
}

} // namespace enso::verify
