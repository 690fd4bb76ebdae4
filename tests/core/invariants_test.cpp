// Each named invariant check can fail: build a sound state, break exactly the
// rule behind one check by writing the state directly (as a buggy handler
// would), and see that check report it with the frames and domains involved.
#include "test_machine.hpp"

#include <algorithm>
#include <set>

namespace enso::test {
namespace {

// A sound starting point: two guests, d1 with a pinned address space mapping
// one data frame writable, d1 granting a frame to d2, and a bound channel.
struct Scene {
    TestMachine m;
    std::uint32_t data = 0;
    std::uint32_t shared = 0;
    TestMachine::AddressSpace as{};
    std::uint32_t map_handle = 0;
    std::uint32_t port1 = 0;
    std::uint32_t port2 = 0;

    Scene() {
        m.make_domain(1);
        m.make_domain(2);
        data = m.frame(1);
        shared = m.frame(1);
        as = m.build_address_space(1, data);
        std::vector<std::uint32_t> frames;
        REQUIRE(m.core().grant_setup_table(1, 1, frames) == GNTST_okay);
        m.core().grant_write_entry(1, 0, GTF_permit_access, 0, shared);
        std::uint64_t bus = 0;
        REQUIRE(m.core().grant_map(0, 1, 0, GNTMAP_host_map, 0, map_handle, bus) == GNTST_okay);
        REQUIRE(m.core().evtchn_alloc_unbound(1, DOMID_SELF, 2, port1) == kOk);
        REQUIRE(m.core().evtchn_bind_interdomain(2, 1, port1, port2) == kOk);
        REQUIRE_INVARIANTS(m.core());
    }

    CState& s() { return m.core().state(); }
    void poke(std::uint32_t f, std::uint32_t slot, std::uint64_t v) { s().mem.store64(f, slot, v); }
};

void require_reported(const CState& s, std::string_view check) {
    const auto violations = check_invariants(s);
    INFO(describe(violations));
    const bool found = std::any_of(violations.begin(), violations.end(),
                                   [&](const Violation& v) { return v.check == check; });
    REQUIRE(found);
    for (const auto& v : violations) {
        if (v.check == check) {
            CHECK_FALSE(v.detail.empty());
        }
    }
}

} // namespace

TEST_CASE("invariants: the checker knows every rule by name", "[invariants]") {
    const auto names = invariant_names();
    const std::set<std::string_view> unique(names.begin(), names.end());
    REQUIRE(unique.size() == names.size());
    for (const char* rule :
         {"no_writable_pagetable", "type_count_matches", "ownership", "hierarchy",
          "refcount_covers_uses", "grant_status_matches_pins", "readonly_grant_never_writable",
          "evtchn_peers_consistent", "no_leak_after_destroy"}) {
        INFO(rule);
        REQUIRE(unique.count(rule) == 1);
    }
}

TEST_CASE("invariants: each check fails on a state that breaks its rule", "[invariants]") {
    Scene sc;
    auto& s = sc.s();

    SECTION("no_writable_pagetable") {
        sc.poke(sc.as.l1, 1, TestMachine::pte(sc.as.l2, kPteP | kPteRW | kPteUS));
        require_reported(s, "no_writable_pagetable");
    }
    SECTION("type_count_matches") {
        s.frames.type_count.set(sc.data, s.frames.type_count.get(sc.data) + 1);
        require_reported(s, "type_count_matches");
    }
    SECTION("refcount_covers_uses") {
        s.frames.count.set(sc.data, s.frames.count.get(sc.data) - 1);
        require_reported(s, "refcount_covers_uses");
    }
    SECTION("no_leaked_references") {
        s.frames.count.set(sc.data, s.frames.count.get(sc.data) + 1);
        require_reported(s, "no_leaked_references");
    }
    SECTION("ownership") {
        const auto foreign = sc.m.frame(2);
        sc.poke(sc.as.l1, 2, TestMachine::pte(foreign, kPteP | kPteUS));
        require_reported(s, "ownership");
    }
    SECTION("hierarchy") {
        sc.poke(sc.as.l2, 1, TestMachine::pte(sc.data, kPteP | kPteUS));
        require_reported(s, "hierarchy");
    }
    SECTION("flags_allowed") {
        sc.poke(sc.as.l2, 0, TestMachine::pte(sc.as.l1, kPteP | kPteUS | kPtePSE));
        require_reported(s, "flags_allowed");
    }
    SECTION("pagetable_validated") {
        frame_clear<Concrete>(s, sc.as.l1, kFrameValidated);
        require_reported(s, "pagetable_validated");
    }
    SECTION("pinned_is_pagetable") {
        frame_set<Concrete>(s, sc.data, kFramePinned);
        require_reported(s, "pinned_is_pagetable");
    }
    SECTION("baseptr_valid") {
        s.doms.baseptr.set(1, sc.data);
        require_reported(s, "baseptr_valid");
    }
    SECTION("grant_status_matches_pins") {
        const auto gi = grant_index<Concrete>(1, 0);
        s.grants.act_readers.set(gi, s.grants.act_readers.get(gi) + 1);
        require_reported(s, "grant_status_matches_pins");
    }
    SECTION("grant_status_matches_pins: the status bits") {
        const auto gframe = grant_entry_frame<Concrete>(s, 1, 0);
        s.mem.fetch_and64(gframe, 0, ~std::uint64_t{GTF_reading});
        require_reported(s, "grant_status_matches_pins");
    }
    SECTION("grant_status_matches_pins: a map's grant in use by another grantee") {
        // Pins and status bits still match; only the grantee is wrong.
        s.grants.act_grantee.set(grant_index<Concrete>(1, 0), 2);
        require_reported(s, "grant_status_matches_pins");
    }
    SECTION("readonly_grant_never_writable") {
        // d2 grants d1 a frame read-only, d1 maps it with a PTE of its own
        // L1, and the PTE is then made writable.
        std::vector<std::uint32_t> frames;
        REQUIRE(sc.m.core().grant_setup_table(2, 1, frames) == GNTST_okay);
        const auto granted = sc.m.frame(2);
        sc.m.core().grant_write_entry(2, 0, GTF_permit_access | GTF_readonly, 1, granted);
        const auto maddr = entry_maddr<Concrete>(sc.as.l1, 300);
        std::uint32_t handle = 0;
        std::uint64_t bus = 0;
        REQUIRE(sc.m.core().grant_map(1, 2, 0,
                                      GNTMAP_host_map | GNTMAP_readonly | GNTMAP_contains_pte,
                                      maddr, handle, bus) == GNTST_okay);
        REQUIRE_INVARIANTS(sc.m.core());
        sc.poke(sc.as.l1, 300, s.mem.load64(sc.as.l1, 300) | kPteRW);
        require_reported(s, "readonly_grant_never_writable");
    }
    SECTION("a grant made read-only while mapped is the granter's business") {
        // The mode of a map is the core's record, taken when the grant
        // allowed it; the entry changing since breaks no rule.
        const auto gframe = grant_entry_frame<Concrete>(s, 1, 0);
        s.mem.fetch_or64(gframe, 0, GTF_readonly);
        REQUIRE_INVARIANTS(sc.m.core());
    }
    SECTION("evtchn_peers_consistent") {
        s.evtchn.remote_port.set(port_index<Concrete>(2, sc.port2), sc.port1 + 1);
        require_reported(s, "evtchn_peers_consistent");
    }
    SECTION("no_leak_after_destroy") {
        REQUIRE(sc.m.core().grant_unmap(0, sc.map_handle, 0) == GNTST_okay);
        REQUIRE(sc.m.core().destroy_domain(2) == kOk);
        REQUIRE_INVARIANTS(sc.m.core());
        s.evtchn.state.set(port_index<Concrete>(2, 5), EVTCHNSTAT_unbound);
        require_reported(s, "no_leak_after_destroy");
    }
    SECTION("tot_pages_matches") {
        s.doms.tot_pages.set(2, s.doms.tot_pages.get(2) + 1);
        require_reported(s, "tot_pages_matches");
    }
}

TEST_CASE("invariants: every check is exercised by the failing-state test", "[invariants]") {
    // Keep this list in step with the sections above: a new check needs a
    // state that breaks it.
    const std::set<std::string_view> covered = {"no_writable_pagetable",
                                                "type_count_matches",
                                                "refcount_covers_uses",
                                                "no_leaked_references",
                                                "ownership",
                                                "hierarchy",
                                                "flags_allowed",
                                                "pagetable_validated",
                                                "pinned_is_pagetable",
                                                "baseptr_valid",
                                                "grant_status_matches_pins",
                                                "readonly_grant_never_writable",
                                                "evtchn_peers_consistent",
                                                "no_leak_after_destroy",
                                                "tot_pages_matches"};
    for (const auto name : invariant_names()) {
        INFO(name);
        CHECK(covered.count(name) == 1);
    }
}

} // namespace enso::test
