// Pin reference counting (the XSA-252 family): Xen's pins are not
// nestable. The copy of pin_table below pins a frame again, taking a second
// type reference the single pin flag can never give back.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/unpin_live_root.
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
        if (!is_pagetable_type<V>(level)) {
            return kEINVAL;
        }
        if (!owned_by<V>(s, f, d)) {
            return kEPERM;
        }
        // BUG: no refusal of a frame that is already pinned.
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

Mutant make_pin_nestable() {
    return {"pin_nestable",
            "XSA-252 (pin reference counting)",
            "pin_table",
            "pinning an already pinned table takes a second type and general reference that "
            "the one pin flag never drops",
            {"type_count_matches", "no_leaked_references"},
            make_spec<Handler>("pin_table", "mmu", "mutant of pin_table",
                               {{"d", 16}, {"frame", 32}, {"level", 8}}, caller_is_live)};
}

} // namespace enso::verify
