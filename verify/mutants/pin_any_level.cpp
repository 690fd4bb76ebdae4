// The bug the concrete tests found in pin_table before it was fixed (no XSA
// of its own; the pin-validation family of XSA-252): no check that the
// level is a page-table level, so a pinned frame need not be a table.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/retype_live_table.
#include "hvcore/core/pv_mmu.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct Handler {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto d = a.u16(0);
        auto f = a.u32(1);
        auto level = a.u8(2);
        // BUG: any type is accepted as a level.
        if (!owned_by<V>(s, f, d) || frame_has<V>(s, f, kFramePinned)) {
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
};

} // namespace

Mutant make_pin_any_level() {
    return {"pin_any_level",
            "XSA-252 family (pin validation)",
            "pin_table",
            "pin accepts any type as a level, so a pinned frame need not be a page table",
            {"pinned_is_pagetable"},
            make_spec<Handler>("pin_table", "mmu", "mutant of pin_table",
                               {{"d", 16}, {"frame", 32}, {"level", 8}}, caller_is_live)};
}

} // namespace enso::verify
