// XSA-242: Xen could drop the last type reference of a page in a path that
// did not hold it. The copy of unpin_table below drops the pin's references
// without checking the frame is pinned.
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
        // BUG: no check that f holds a pin.
        if (!owned_by<V>(s, f, d) || !is_pagetable_type<V>(s.frames.type.get(f))) {
            return kEINVAL;
        }
        frame_clear<V>(s, f, kFramePinned);
        put_page_type<V>(s, f);
        put_page<V>(s, f);
        return kOk;
    }
};

} // namespace

Mutant make_xsa242_unpin_unpinned() {
    return {"xsa242_unpin_unpinned",
            "XSA-242",
            "unpin_table",
            "unpin drops a type and a general reference the frame's pin never took",
            {"type_count_matches", "refcount_covers_uses"},
            make_spec<Handler>("unpin_table", "mmu", "mutant of unpin_table",
                               {{"d", 16}, {"frame", 32}}, caller_is_live)};
}

} // namespace enso::verify
