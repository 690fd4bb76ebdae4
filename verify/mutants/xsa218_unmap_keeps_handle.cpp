// XSA-218: races in grant unmap could put a mapping's references twice. The
// copy of grant_unmap below releases the grant but leaves the maptrack
// handle in use, so the same mapping can be unmapped (and put) again.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/grant_double_unmap.
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
        // BUG: the handle is not cleared.
        grant_release<V>(s, gd, ref, (mflags & kMapReadonly) == 0);
        add_effect<V>(s, d, kEffectMemslots);
        return GNTST_okay;
    }
};

} // namespace

Mutant make_xsa218_unmap_keeps_handle() {
    return {"xsa218_unmap_keeps_handle",
            "XSA-218",
            "grant_unmap",
            "unmap releases the grant but leaves the handle in use: a second unmap puts the "
            "mapping's references again",
            {"grant_status_matches_pins", "refcount_covers_uses", "type_count_matches"},
            make_spec<Handler>("grant_unmap", "grant", "mutant of grant_unmap",
                               mutants::unmap_args(), caller_is_live)};
}

} // namespace enso::verify
