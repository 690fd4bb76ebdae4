// XSA-214: a page given up through grant transfer kept its type when it
// changed owner. The copy below returns a frame to the free pool (at the
// end of decrease_reservation) without resetting its type.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/release_pinned_table.
#include "hvcore/core/memory_reservation.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"

namespace enso::verify {

namespace {

using namespace core;

template <class V>
void free_frame_keeping_type(State<V>& s, typename V::U32 f) {
    auto d = s.frames.owner.get(f);
    s.frames.owner.set(f, as_u16<V>(DOMID_INVALID));
    // BUG: type and type count survive the free.
    s.frames.flags.set(f, 0);
    auto pages = s.doms.tot_pages.get(d) - 1;
    s.doms.tot_pages.set(d, pages);
    add_effect<V>(s, d, kEffectMemslots);
    if (pages == 0 && s.doms.state.get(d) == kDomDying) {
        s.doms.state.set(d, as_u8<V>(kDomFree));
    }
}

struct Handler {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto d = a.u16(0);
        auto f = a.u32(1);
        if (!owned_by<V>(s, f, d)) {
            return kEINVAL;
        }
        if (frame_has<V>(s, f, kFrameXenRef) || frame_has<V>(s, f, kFramePinned) ||
            s.frames.count.get(f) != 1 || s.frames.type_count.get(f) != 0) {
            return kEBUSY;
        }
        auto type = s.frames.type.get(f);
        if (is_pagetable_type<V>(type)) {
            return need_table_work<V>(s, kWorkDevalidate, f, type);
        }
        frame_clear<V>(s, f, kFrameAllocated);
        auto c = s.frames.count.get(f) - 1;
        s.frames.count.set(f, c);
        if (c == 0) {
            free_frame_keeping_type<V>(s, f);
        }
        return kOk;
    }
};

} // namespace

Mutant make_xsa214_free_keeps_type() {
    return {"xsa214_free_keeps_type",
            "XSA-214",
            "decrease_reservation",
            "a frame handed back to the free pool keeps its type, so its next owner inherits it",
            {"no_leak_after_destroy"},
            make_spec<Handler>("decrease_reservation", "memory", "mutant of free_frame",
                               {{"d", 16}, {"frame", 32}}, caller_is_live)};
}

} // namespace enso::verify
