// XSA-234: grant unmap could release the wrong kind of reference when the
// mapping being removed differed from the one that was made (a read-only
// unmap dropping a writable reference). The copy of grant_unmap below
// decides what to release from the kind of mapping (host or device), not
// from what the handle recorded.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/grant_unmap_mode.
#include "hvcore/core/grant_ops.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"
#include "verify/mutants/grant_mutant_args.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct Handler {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto d = a.u16(0);
        auto handle = a.u32(1);
        if (!domain_live<V>(s, d)) {
            return GNTST_bad_domain;
        }
        if (handle >= kMaxMaptrack) {
            return GNTST_bad_handle;
        }
        auto mi = maptrack_index<V>(d, handle);
        auto mflags = s.grants.map_flags.get(mi);
        if ((mflags & kMapInUse) == 0 || (mflags & kMapPte) != 0) {
            return GNTST_bad_handle; // device mappings only: the bug is in the bookkeeping
        }
        auto gd = s.grants.map_granter.get(mi);
        auto ref = s.grants.map_ref.get(mi);
        s.grants.map_flags.set(mi, 0);
        // BUG: a device mapping is assumed read-only, whatever it was.
        grant_release<V>(s, gd, ref, false);
        add_effect<V>(s, d, kEffectMemslots);
        return GNTST_okay;
    }
};

} // namespace

Mutant make_xsa234_unmap_wrong_kind() {
    return {"xsa234_unmap_wrong_kind",
            "XSA-234",
            "grant_unmap",
            "unmap releases a writable device mapping as a read-only one: the reader count "
            "drops instead of the writer count and the type reference stays",
            {"grant_status_matches_pins", "type_count_matches"},
            make_spec<Handler>("grant_unmap", "grant", "mutant of grant_unmap",
                               mutants::unmap_args(), caller_is_live)};
}

} // namespace enso::verify
