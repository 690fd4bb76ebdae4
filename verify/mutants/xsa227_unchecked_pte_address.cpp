// XSA-227: a grant map with GNTMAP_contains_pte wrote the PTE at a machine
// address Xen did not check was a page-table slot of the caller. The copy
// of grant_map below takes the address as given (aligned and in range).
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/grant_map_foreign_pte.
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
        auto granter = a.u16(1);
        auto ref = a.u32(2);
        auto flags = a.u32(3);
        auto host_addr = a.u64(4);
        auto handle = a.u32(5);
        if (!domain_live<V>(s, d)) {
            return GNTST_bad_domain;
        }
        if ((flags & (GNTMAP_host_map | GNTMAP_device_map)) == 0) {
            return GNTST_bad_gntref;
        }
        if (handle >= kMaxMaptrack ||
            (s.grants.map_flags.get(maptrack_index<V>(d, handle)) & kMapInUse) != 0) {
            return GNTST_no_device_space;
        }
        auto gd = resolve_domid<V>(d, as_u16<V>(granter));
        auto writable = (flags & GNTMAP_readonly) == 0;
        typename V::U64 pte_maddr = 0;
        if (d != 0 && (flags & GNTMAP_host_map) != 0) {
            // BUG: no check that the address is one of the caller's L1 slots.
            pte_maddr = host_addr;
            if (pte_maddr == 0 || (pte_maddr & 7U) != 0 ||
                maddr_frame<V>(pte_maddr) >= s.nr_frames ||
                (pte_maddr >> kPageShift) >= as_u64<V>(s.nr_frames)) {
                return GNTST_general_error;
            }
            if (pte_present<V>(s.mem.load64(maddr_frame<V>(pte_maddr), maddr_slot<V>(pte_maddr)))) {
                return GNTST_general_error;
            }
        }
        typename V::U32 frame{};
        if (Rc rc = grant_acquire<V>(s, d, gd, ref, writable, frame); rc != GNTST_okay) {
            return rc;
        }
        std::uint8_t mflags = kMapInUse;
        if (!writable) {
            mflags |= kMapReadonly;
        }
        if (pte_maddr != 0) {
            mflags |= kMapPte;
            typename V::U64 pte =
                (as_u64<V>(frame) << kPageShift) | kPteP | kPteUS | kPteA | kPteNX;
            if (writable) {
                pte = pte | kPteRW | kPteD;
            }
            s.mem.store64(maddr_frame<V>(pte_maddr), maddr_slot<V>(pte_maddr), pte);
        }
        auto mi = maptrack_index<V>(d, handle);
        s.grants.map_flags.set(mi, as_u8<V>(mflags));
        s.grants.map_granter.set(mi, gd);
        s.grants.map_ref.set(mi, ref);
        s.grants.map_host_addr.set(mi, pte_maddr);
        add_effect<V>(s, d, kEffectMemslots);
        return GNTST_okay;
    }
};

} // namespace

Mutant make_xsa227_unchecked_pte_address() {
    return {"xsa227_unchecked_pte_address",
            "XSA-227",
            "grant_map",
            "a host mapping writes its PTE at whatever machine address the caller names, even "
            "in an upper-level table or another domain's table",
            {"ownership", "hierarchy", "flags_allowed", "no_writable_pagetable",
             "grant_status_matches_pins", "readonly_grant_never_writable"},
            make_spec<Handler>("grant_map", "grant", "mutant of grant_pte_maddr",
                               mutants::map_args(), caller_is_live)};
}

} // namespace enso::verify
