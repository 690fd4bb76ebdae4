// XSA-252: XENMEM_decrease_reservation on a pinned page-table page unpinned
// it implicitly, and the page was freed while still a page table. The copy
// of release_frame below does that: unpins, and frees without devalidating.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/release_pinned_table.
#include "hvcore/core/memory_reservation.hpp"
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
        if (!owned_by<V>(s, f, d)) {
            return kEINVAL;
        }
        if (frame_has<V>(s, f, kFrameXenRef)) {
            return kEBUSY;
        }
        // BUG: an implicit unpin ...
        if (frame_has<V>(s, f, kFramePinned)) {
            frame_clear<V>(s, f, kFramePinned);
            put_page_type<V>(s, f);
            put_page<V>(s, f);
        }
        if (s.frames.count.get(f) != 1 || s.frames.type_count.get(f) != 0) {
            return kEBUSY;
        }
        // ... and no devalidation: the table's entries keep their references.
        frame_clear<V>(s, f, kFrameAllocated);
        put_page<V>(s, f);
        return kOk;
    }
};

} // namespace

Mutant make_xsa252_implicit_unpin() {
    return {"xsa252_implicit_unpin",
            "XSA-252",
            "decrease_reservation",
            "decrease_reservation implicitly unpins a pinned page table and frees it without "
            "releasing its entries' references",
            {"no_leaked_references", "type_count_matches"},
            make_spec<Handler>("decrease_reservation", "memory", "mutant of release_frame",
                               {{"d", 16}, {"frame", 32}}, caller_is_live)};
}

} // namespace enso::verify
