// The invariants as z3 formulas (symbolic_invariants.hpp): one function per
// invariant, and the list the prover proves, in order.
#include "verify/symbolic_invariants.hpp"

#include "hvcore/core/domain_table.hpp"
#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/grant_state.hpp"
#include "hvcore/core/limits.hpp"
#include "hvcore/core/page_table_entry.hpp"

namespace enso::verify {

namespace {

using B = std::vector<z3::expr>;
using IC = IndexClass;

constexpr unsigned kAlloc = core::kFrameAllocated;
constexpr unsigned kPinned = core::kFramePinned;
constexpr unsigned kValid = core::kFrameValidated;
constexpr unsigned kXen = core::kFrameXenRef;

z3::expr u8(std::uint64_t v) {
    return bv(v, 8);
}
z3::expr u32(std::uint64_t v) {
    return bv(v, 32);
}
z3::expr u64(std::uint64_t v) {
    return bv(v, 64);
}
z3::expr d16(const z3::expr& d32) {
    return d32.extract(15, 0);
}
z3::expr zext32(const z3::expr& e) {
    return z3::zext(e, 32 - e.get_sort().bv_size());
}
z3::expr is_table_type(const z3::expr& t) {
    return z3::uge(t, u8(core::kTypeL1)) && z3::ule(t, u8(core::kTypeL4));
}

// One page-table word (t, i) and what the rules need of it.
struct Entry {
    z3::expr e, tgt, level, live_entry, upper, l1;
    Entry(const StateView& v, const z3::expr& t, const z3::expr& i)
        : e(v.word(t, i)), tgt(StateView::target(e)), level(v.type(t)),
          live_entry(v.frame_ok(t) && v.table_word_live(t, i) && StateView::present(e)),
          upper(z3::uge(level, u8(core::kTypeL2))), l1(level == u8(core::kTypeL1)) {}
};

// The maptrack entry w records the grant PTE at (t, i) of a table of od.
z3::expr grant_pte_recorded(const StateView& v, const z3::expr& w, const z3::expr& t,
                            const z3::expr& i, const z3::expr& od, const z3::expr& tgt,
                            const z3::expr& rw) {
    const unsigned pte_map = core::kMapInUse | core::kMapPte;
    return z3::ult(w, u32(core::kMaxDomains << core::kMaptrackBits)) &&
           z3::lshr(w, u32(core::kMaptrackBits)) == zext32(od) &&
           (v.map_flags(w) & u8(pte_map)) == u8(pte_map) &&
           v.host_addr(w) == StateView::maddr(t, i) && v.act_frame(v.grant_of(w)) == tgt &&
           z3::implies(rw, !v.map_has(w, core::kMapReadonly));
}

// --- Frames (binder: a frame f) ----------------------------------------------

// A frame of a page-table type is validated, except while table work
// validates it (table_work_steps.hpp), when nothing holds a type reference.
z3::expr inv_pagetable_validated(const StateView& v, const B& b) {
    const z3::expr& f = b[0];
    return z3::implies(
        v.frame_ok(f),
        z3::implies(is_table_type(v.type(f)) && v.tc(f) != u32(0), v.has(f, kValid)) &&
            z3::implies(v.has(f, kValid), is_table_type(v.type(f))) &&
            z3::implies(is_table_type(v.type(f)) && !v.has(f, kValid), v.in_validation(f)));
}

// ... and a vCPU's root (hold_vcpu_root) a validated L4.
z3::expr inv_pinned_is_pagetable(const StateView& v, const B& b) {
    const z3::expr& f = b[0];
    return z3::implies(v.frame_ok(f) && v.has(f, kPinned), v.validated_table(f)) &&
           z3::implies(v.frame_ok(f) && v.has(f, core::kFrameVcpuRoot),
                       v.validated_table(f) && v.type(f) == u8(core::kTypeL4));
}

z3::expr inv_no_leak_free_frame(const StateView& v, const B& b) {
    const z3::expr& f = b[0];
    return z3::implies(v.frame_ok(f) && v.count(f) == u32(0), v.flags(f) == u8(0) &&
                                                                  v.tc(f) == u32(0) &&
                                                                  v.type(f) == u8(core::kTypeNone));
}

z3::expr inv_ownership_allocated_to_live(const StateView& v, const B& b) {
    const z3::expr& f = b[0];
    // While a domain is torn down its frames are released one at a time:
    // until then they stay allocated to it.
    const z3::expr o = zext32(v.owner(f));
    return z3::implies(v.frame_ok(f) && v.has(f, kAlloc),
                       v.live(o) || (o == v.destroying() && v.dom_state(o) == u8(core::kDomDying)));
}

// A frame the core holds is allocated and typed writable (a shared page)
// or as a descriptor frame (the platform's GDT, IDT, TSS: never writable).
z3::expr inv_xen_frame_is_typed(const StateView& v, const B& b) {
    const z3::expr& f = b[0];
    return z3::implies(v.frame_ok(f) && v.has(f, kXen),
                       v.has(f, kAlloc) && (v.type(f) == u8(core::kTypeWritable) ||
                                            v.type(f) == u8(core::kTypeSegDesc)));
}

z3::expr inv_validated_is_allocated(const StateView& v, const B& b) {
    const z3::expr& f = b[0];
    return z3::implies(v.frame_ok(f) && v.has(f, kValid), v.has(f, kAlloc));
}

z3::expr inv_counts_bounded(const StateView& v, const B& b) {
    const z3::expr& f = b[0];
    return z3::ule(v.count(f), u32(core::kMaxRefCount)) &&
           z3::ule(v.tc(f), u32(core::kMaxRefCount));
}

// --- Page-table entries (binders: the word's frame and slot) -----------------

z3::expr inv_flags_allowed(const StateView& v, const B& b) {
    const Entry x(v, b[0], b[1]);
    const z3::expr allowed = z3::ite(x.l1, u64(core::kL1Allowed), u64(core::kLnAllowed));
    return z3::implies(x.live_entry, (x.e & ~allowed) == u64(0));
}

z3::expr inv_hierarchy(const StateView& v, const B& b) {
    const Entry x(v, b[0], b[1]);
    return z3::implies(x.live_entry && x.upper,
                       v.frame_ok(x.tgt) && v.type(x.tgt) == x.level - 1 && v.has(x.tgt, kValid));
}

z3::expr inv_ownership_upper_level(const StateView& v, const B& b) {
    const Entry x(v, b[0], b[1]);
    return z3::implies(x.live_entry && x.upper, v.owned_by(x.tgt, v.owner(b[0])));
}

// An L1 entry that maps a frame its table's owner does not own is a grant
// PTE, recorded by the maptrack entry its witness names (or, after a path,
// by one of the entries the path wrote).
// `writable`: by a map the core recorded writable.
z3::expr grant_pte_recorded_by_witness(const StateView& v, const B& b, const Entry& x,
                                       const z3::expr& writable) {
    const z3::expr od = v.owner(b[0]);
    z3::expr recorded =
        grant_pte_recorded(v, v.witness(b[0], b[1]), b[0], b[1], od, x.tgt, writable);
    for (const auto& w : v.extra_witnesses) {
        recorded = recorded || grant_pte_recorded(v, w, b[0], b[1], od, x.tgt, writable);
    }
    return recorded;
}

z3::expr inv_ownership_grant_pte(const StateView& v, const B& b) {
    const Entry x(v, b[0], b[1]);
    return z3::implies(x.live_entry && x.l1 && !v.owned_by(x.tgt, v.owner(b[0])),
                       v.frame_ok(x.tgt) &&
                           grant_pte_recorded_by_witness(v, b, x, sym_ctx().bool_val(false)));
}

// A writable grant PTE is one a map the core recorded writable installed:
// the mode is the core's copy, taken when the grant allowed it (the
// granter's entry may say otherwise since, and is not consulted).
z3::expr inv_readonly_grant_never_writable(const StateView& v, const B& b) {
    const Entry x(v, b[0], b[1]);
    const z3::expr rw = StateView::rw(x.e);
    return z3::implies(x.live_entry && x.l1 && rw && !v.owned_by(x.tgt, v.owner(b[0])),
                       grant_pte_recorded_by_witness(v, b, x, rw));
}

z3::expr inv_no_writable_pagetable(const StateView& v, const B& b) {
    const Entry x(v, b[0], b[1]);
    return z3::implies(x.live_entry && x.l1 && StateView::rw(x.e),
                       v.type(x.tgt) == u8(core::kTypeWritable));
}

// --- Domains (binder: a domain d; a grant-table frame slot g) ----------------

z3::expr inv_baseptr_valid(const StateView& v, const B& b) {
    const z3::expr& d = b[0];
    const z3::expr root = v.baseptr(d);
    return z3::implies(z3::ult(d, u32(core::kMaxDomains)) && root != u32(core::kNoFrame),
                       v.frame_ok(root) && v.owner(root) == d16(d) &&
                           v.type(root) == u8(core::kTypeL4) && v.has(root, kValid));
}

z3::expr inv_no_leak_domain(const StateView& v, const B& b) {
    const z3::expr& d = b[0];
    return z3::implies(
        z3::ult(d, u32(core::kMaxDomains)) && !v.live(d),
        v.baseptr(d) == u32(core::kNoFrame) && v.status_frame(d) == u32(core::kNoFrame) &&
            z3::implies(v.dom_state(d) == u8(core::kDomFree), v.tot_pages(d) == u32(0)));
}

z3::expr inv_domain_frames(const StateView& v, const B& b) {
    const z3::expr& d = b[0];
    const z3::expr si = v.shared_info(d);
    const z3::expr st = v.status_frame(d);
    const z3::expr status_ok =
        st == u32(core::kNoFrame) || (v.owned_by(st, d16(d)) && v.has(st, kXen) &&
                                      v.type(st) == u8(core::kTypeWritable) && st != si);
    return z3::implies(z3::ult(d, u32(core::kMaxDomains)),
                       z3::ule(v.dom_state(d), u8(core::kDomDying))) &&
           z3::implies(v.live(d), v.owned_by(si, d16(d)) && v.has(si, kXen) &&
                                      v.type(si) == u8(core::kTypeWritable) &&
                                      z3::ule(v.nr_gframes(d), u32(core::kMaxGrantFrames)) &&
                                      status_ok);
}

// A live domain's grant-table frames are its own, held by the core.
z3::expr inv_grant_table_frames(const StateView& v, const B& b) {
    const z3::expr& g = b[0];
    const z3::expr d = z3::lshr(g, u32(core::kGrantFrameBits));
    const z3::expr i = g & u32(core::kMaxGrantFrames - 1);
    const z3::expr f = v.gframe(g);
    return z3::implies(z3::ult(g, u32(core::kMaxDomains << core::kGrantFrameBits)) && v.live(d) &&
                           z3::ult(i, v.nr_gframes(d)),
                       v.owned_by(f, d16(d)) && v.has(f, kXen) &&
                           v.type(f) == u8(core::kTypeWritable));
}

// ... and distinct from its shared_info page and from each other, so
// event-channel bits and grant status bits never share a word.
z3::expr inv_shared_pages_distinct(const StateView& v, const B& b) {
    const z3::expr& d = b[0];
    const z3::expr& g = b[1];
    const z3::expr gd = z3::lshr(g, u32(core::kGrantFrameBits));
    const z3::expr i = g & u32(core::kMaxGrantFrames - 1);
    return z3::implies(v.live(d) && z3::ult(g, u32(core::kMaxDomains << core::kGrantFrameBits)) &&
                           v.live(gd) && z3::ult(i, v.nr_gframes(gd)),
                       v.shared_info(d) != v.gframe(g));
}

// A v2 status frame is none of the grant-table frames, so freeing it at the
// switch back to v1 leaves the table whole.
z3::expr inv_status_frame_distinct(const StateView& v, const B& b) {
    const z3::expr& d = b[0];
    const z3::expr& g = b[1];
    const z3::expr gd = z3::lshr(g, u32(core::kGrantFrameBits));
    const z3::expr i = g & u32(core::kMaxGrantFrames - 1);
    return z3::implies(v.live(d) && v.status_frame(d) != u32(core::kNoFrame) &&
                           z3::ult(g, u32(core::kMaxDomains << core::kGrantFrameBits)) &&
                           v.live(gd) && z3::ult(i, v.nr_gframes(gd)),
                       v.status_frame(d) != v.gframe(g));
}

z3::expr inv_grant_frames_distinct(const StateView& v, const B& b) {
    auto in_use = [&](const z3::expr& g) {
        const z3::expr gd = z3::lshr(g, u32(core::kGrantFrameBits));
        return z3::ult(g, u32(core::kMaxDomains << core::kGrantFrameBits)) && v.live(gd) &&
               z3::ult(g & u32(core::kMaxGrantFrames - 1), v.nr_gframes(gd));
    };
    return z3::implies(in_use(b[0]) && in_use(b[1]) && b[0] != b[1],
                       v.gframe(b[0]) != v.gframe(b[1]));
}

// --- Grants (binder: a grant entry gi) ---------------------------------------

// The status bits of the granter's entry match the core's pins. The entry
// is the granter's memory, so this is no invariant (see core_kept_rules).
z3::expr inv_grant_status_matches_pins(const StateView& v, const B& b) {
    const z3::expr& gi = b[0];
    const z3::expr w = v.grant_word(gi);
    const z3::expr reading = (w & u64(GTF_reading)) != u64(0);
    const z3::expr writing = (w & u64(GTF_writing)) != u64(0);
    return z3::implies(v.grant_ref_ok(gi),
                       reading == v.active(gi) && writing == (v.writers(gi) != u32(0)));
}

z3::expr inv_active_grant(const StateView& v, const B& b) {
    const z3::expr& gi = b[0];
    const z3::expr f = v.act_frame(gi);
    const z3::expr gd = z3::lshr(gi, u32(core::kGrantRefBits));
    const z3::expr pins = z3::zext(v.readers(gi), 32) + z3::zext(v.writers(gi), 32);
    return z3::implies(
        z3::ult(gi, u32(1U << 16)) && v.active(gi),
        v.frame_ok(f) && zext32(v.owner(f)) == gd && !v.has(f, kXen) &&
            z3::implies(v.live(gd), v.grant_ref_ok(gi)) && z3::ule(pins, u64(core::kMaxRefCount)) &&
            z3::implies(v.writers(gi) != u32(0), v.type(f) == u8(core::kTypeWritable)));
}

// --- Maptrack (binder: a maptrack entry mi) ----------------------------------

z3::expr inv_no_leak_maptrack(const StateView& v, const B& b) {
    const z3::expr& mi = b[0];
    return z3::implies(z3::ult(mi, u32(core::kMaxDomains << core::kMaptrackBits)) &&
                           v.map_has(mi, core::kMapInUse),
                       v.live(z3::lshr(mi, u32(core::kMaptrackBits))));
}

z3::expr inv_maptrack_entry(const StateView& v, const B& b) {
    const z3::expr& mi = b[0];
    const z3::expr gd = zext32(v.granter(mi));
    const z3::expr ha = v.host_addr(mi);
    return z3::implies(
        z3::ult(mi, u32(core::kMaxDomains << core::kMaptrackBits)) &&
            v.map_has(mi, core::kMapInUse),
        z3::ult(gd, u32(core::kMaxDomains)) && z3::ult(v.map_ref(mi), u32(core::kMaxGrantRefs)) &&
            z3::implies(v.live(gd), v.grant_ref_ok(v.grant_of(mi))) &&
            z3::implies(v.map_has(mi, core::kMapPte), ha != u64(0) && (ha & u64(7)) == u64(0) &&
                                                          v.frame_ok(ha.extract(43, 12)) &&
                                                          z3::ult(ha, u64(1ULL << 44))));
}

// A map in use holds a use of its grant: the active entry it names is in
// use, by the map's domain (grant_acquire refuses another grantee while the
// entry is active). The granter may be the map's own domain (a self-grant).
z3::expr inv_maptrack_grantee(const StateView& v, const B& b) {
    const z3::expr& mi = b[0];
    const z3::expr gi = v.grant_of(mi);
    return z3::implies(z3::ult(mi, u32(core::kMaxDomains << core::kMaptrackBits)) &&
                           v.map_has(mi, core::kMapInUse),
                       v.active(gi) &&
                           v.act_grantee(gi) == d16(z3::lshr(mi, u32(core::kMaptrackBits))));
}

// --- Event channels (binder: a port pi) --------------------------------------

z3::expr inv_evtchn_peers_consistent(const StateView& v, const B& b) {
    const z3::expr& pi = b[0];
    const z3::expr d = z3::lshr(pi, u32(core::kPortBits));
    const z3::expr p = pi & u32(core::kMaxPorts - 1);
    const z3::expr rd = zext32(v.remote_dom(pi));
    const z3::expr rp = v.remote_port(pi);
    const z3::expr ri = z3::shl(rd, u32(core::kPortBits)) | rp;
    return z3::implies(z3::ult(pi, u32(core::kMaxDomains << core::kPortBits)) && v.live(d) &&
                           v.port_state(pi) == u8(EVTCHNSTAT_interdomain),
                       z3::ult(rd, u32(core::kMaxDomains)) && z3::ult(rp, u32(core::kMaxPorts)) &&
                           v.live(rd) && v.port_state(ri) == u8(EVTCHNSTAT_interdomain) &&
                           v.remote_dom(ri) == d16(d) && v.remote_port(ri) == p);
}

z3::expr inv_no_leak_port(const StateView& v, const B& b) {
    const z3::expr& pi = b[0];
    const z3::expr d = z3::lshr(pi, u32(core::kPortBits));
    return z3::implies(z3::ult(pi, u32(core::kMaxDomains << core::kPortBits)) && !v.live(d),
                       v.port_state(pi) == u8(EVTCHNSTAT_closed));
}

} // namespace

// The order is the order of the goals, and with it of z3's work: keep it.
const std::vector<Invariant>& state_invariants() {
    const std::vector<IC> kFrame{IC::Frame};
    const std::vector<IC> kWord{IC::Frame, IC::Slot};
    const std::vector<IC> kDom{IC::Dom};
    const std::vector<IC> kGrant{IC::Grant};
    const std::vector<IC> kMap{IC::Map};
    const std::vector<IC> kPort{IC::Port};
    constexpr Instances kPerWord = Instances::PerWord;
    static const std::vector<Invariant> all = {
        // Frames.
        {.name = "pagetable_validated",
         .checks = {"pagetable_validated"},
         .binders = kFrame,
         .body = inv_pagetable_validated},
        {.name = "pinned_is_pagetable",
         .checks = {"pinned_is_pagetable"},
         .binders = kFrame,
         .body = inv_pinned_is_pagetable},
        {.name = "no_leak_after_destroy/free_frame",
         .checks = {"no_leak_after_destroy"},
         .binders = kFrame,
         .body = inv_no_leak_free_frame},
        {.name = "ownership/allocated_to_live",
         .checks = {"ownership"},
         .binders = kFrame,
         .body = inv_ownership_allocated_to_live},
        {.name = "aux/xen_frame_is_typed",
         .checks = {},
         .binders = kFrame,
         .body = inv_xen_frame_is_typed},
        {.name = "aux/validated_is_allocated",
         .checks = {},
         .binders = kFrame,
         .body = inv_validated_is_allocated},
        {.name = "aux/counts_bounded", .checks = {}, .binders = kFrame, .body = inv_counts_bounded},
        // Page-table entries.
        {.name = "flags_allowed",
         .checks = {"flags_allowed"},
         .binders = kWord,
         .instances = kPerWord,
         .body = inv_flags_allowed},
        {.name = "hierarchy",
         .checks = {"hierarchy"},
         .binders = kWord,
         .instances = kPerWord,
         .body = inv_hierarchy},
        {.name = "ownership/upper_level",
         .checks = {"ownership"},
         .binders = kWord,
         .instances = kPerWord,
         .body = inv_ownership_upper_level},
        {.name = "ownership/grant_pte",
         .checks = {"ownership"},
         .binders = kWord,
         .instances = kPerWord,
         .body = inv_ownership_grant_pte},
        {.name = "no_writable_pagetable",
         .checks = {"no_writable_pagetable"},
         .binders = kWord,
         .instances = kPerWord,
         .body = inv_no_writable_pagetable},
        // Domains.
        {.name = "baseptr_valid",
         .checks = {"baseptr_valid"},
         .binders = kDom,
         .body = inv_baseptr_valid},
        {.name = "no_leak_after_destroy/domain",
         .checks = {"no_leak_after_destroy"},
         .binders = kDom,
         .body = inv_no_leak_domain},
        {.name = "aux/domain_frames", .checks = {}, .binders = kDom, .body = inv_domain_frames},
        {.name = "aux/grant_table_frames",
         .checks = {},
         .binders = {IC::GrantFrame},
         .body = inv_grant_table_frames},
        {.name = "aux/shared_pages_distinct",
         .checks = {},
         .binders = {IC::Dom, IC::GrantFrame},
         .body = inv_shared_pages_distinct},
        {.name = "aux/status_frame_distinct",
         .checks = {},
         .binders = {IC::Dom, IC::GrantFrame},
         .body = inv_status_frame_distinct},
        {.name = "aux/grant_frames_distinct",
         .checks = {},
         .binders = {IC::GrantFrame, IC::GrantFrame},
         .body = inv_grant_frames_distinct},
        // Grants.
        {.name = "readonly_grant_never_writable",
         .checks = {"readonly_grant_never_writable"},
         .binders = kWord,
         .instances = kPerWord,
         .body = inv_readonly_grant_never_writable},
        {.name = "aux/active_grant", .checks = {}, .binders = kGrant, .body = inv_active_grant},
        // Maptrack.
        {.name = "no_leak_after_destroy/maptrack",
         .checks = {"no_leak_after_destroy"},
         .binders = kMap,
         .body = inv_no_leak_maptrack},
        {.name = "aux/maptrack_entry", .checks = {}, .binders = kMap, .body = inv_maptrack_entry},
        {.name = "grant_status_matches_pins/grantee",
         .checks = {"grant_status_matches_pins"},
         .binders = kMap,
         .body = inv_maptrack_grantee},
        // Event channels.
        {.name = "evtchn_peers_consistent",
         .checks = {"evtchn_peers_consistent"},
         .binders = kPort,
         .body = inv_evtchn_peers_consistent},
        {.name = "no_leak_after_destroy/port",
         .checks = {"no_leak_after_destroy"},
         .binders = kPort,
         .body = inv_no_leak_port},
    };
    return all;
}

const std::vector<Invariant>& core_kept_rules() {
    static const std::vector<Invariant> all = {
        {.name = "grant_status_matches_pins/status_bits",
         .checks = {"grant_status_matches_pins"},
         .binders = {IC::Grant},
         .body = inv_grant_status_matches_pins},
    };
    return all;
}

z3::expr state_assumptions(const StateView& v) {
    return z3::ule(v.nr(), u32(kMaxMachineFrames)) && z3::ugt(v.nr(), u32(0));
}

} // namespace enso::verify
