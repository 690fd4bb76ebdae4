// Domain lifecycle through Core: creation, and teardown of a domain with a
// full address space, pins, grant maps both ways and event channels - every
// frame comes back, and a frame another domain still maps keeps the
// destroyed domain dying until it is unmapped.
#include "test_machine.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using namespace enso::test;

std::uint8_t dom_state(const TestMachine& m, std::uint16_t d) {
    return m.state().doms.state.get(d);
}

std::vector<std::uint32_t> frames_owned_by(const TestMachine& m, std::uint16_t d) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t f = 0; f < m.state().nr_frames; ++f) {
        if (count(m, f) > 0 && m.state().frames.owner.get(f) == d) {
            out.push_back(f);
        }
    }
    return out;
}

// The granter's side: a one-frame grant table, entry `ref` offering `frame`.
void offer(TestMachine& m, std::uint16_t granter, std::uint32_t ref, std::uint16_t grantee,
           std::uint32_t frame, bool readonly = false) {
    std::vector<std::uint32_t> gframes;
    REQUIRE(m.core().grant_setup_table(granter, 1, gframes) == GNTST_okay);
    const auto flags =
        static_cast<std::uint16_t>(GTF_permit_access | (readonly ? GTF_readonly : 0));
    m.core().grant_write_entry(granter, ref, flags, grantee, frame);
}

std::uint16_t grant_status(const TestMachine& m, std::uint16_t granter, std::uint32_t ref) {
    const auto gframe = m.state().doms.gnttab_frame.get(gnttab_frame_index<Concrete>(granter, 0));
    return static_cast<std::uint16_t>(m.read_word(gframe, ref) & (GTF_reading | GTF_writing));
}

// The grantee's side: a guest maps into a free slot of its own L1 (a PTE);
// domain 0 maps without one. Returns the handle.
std::uint32_t map_grant(TestMachine& m, std::uint16_t grantee, std::uint16_t granter,
                        std::uint32_t ref, std::uint64_t pte_maddr, bool readonly = false) {
    std::uint32_t flags = GNTMAP_host_map;
    flags |= grantee != 0 ? GNTMAP_contains_pte : 0;
    flags |= readonly ? GNTMAP_readonly : 0;
    std::uint32_t handle = kNoHandle;
    std::uint64_t bus = 0;
    REQUIRE(m.core().grant_map(grantee, granter, ref, flags, pte_maddr, handle, bus) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());
    return handle;
}

// An interdomain channel a <-> b.
struct Channel {
    std::uint32_t a_port = 0;
    std::uint32_t b_port = 0;
};
Channel connect(TestMachine& m, std::uint16_t a, std::uint16_t b) {
    Channel c;
    REQUIRE(m.core().evtchn_alloc_unbound(a, DOMID_SELF, b, c.a_port) == kOk);
    REQUIRE(m.core().evtchn_bind_interdomain(b, a, c.a_port, c.b_port) == kOk);
    REQUIRE_INVARIANTS(m.core());
    return c;
}

std::uint8_t port_state(const TestMachine& m, std::uint16_t d, std::uint32_t port) {
    return m.state().evtchn.state.get(port_index<Concrete>(d, port));
}

} // namespace

TEST_CASE("domain: create takes one shared_info frame and refuses duplicates and bad ids") {
    TestMachine m;
    const auto free_before = m.core().free_frames();

    CHECK(m.core().create_domain(0, 8) == kEEXIST); // the test machine's domain 0
    CHECK(m.core().create_domain(kMaxDomains, 8) == kEINVAL);
    CHECK(m.core().create_domain(DOMID_SELF, 8) == kEINVAL);
    CHECK(m.core().free_frames() == free_before);

    REQUIRE(m.core().create_domain(1, 8) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().domain_exists(1));
    CHECK(m.core().free_frames() == free_before - 1);
    const auto si = m.state().doms.shared_info.get(1);
    CHECK(m.state().frames.owner.get(si) == 1);
    CHECK(count(m, si) == 2);
    CHECK(m.state().frames.type.get(si) == kTypeWritable);
    CHECK(m.state().frames.type_count.get(si) == 1);
    CHECK(m.state().frames.flags.get(si) == (kFrameAllocated | kFrameXenRef));
    CHECK(m.state().doms.baseptr.get(1) == kNoFrame);

    CHECK(m.core().create_domain(1, 8) == kEEXIST);
    CHECK(m.core().free_frames() == free_before - 1);
    REQUIRE(m.core().create_domain(kMaxDomains - 1, 8) == kOk); // the last valid id
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("domain: destroy of a domain that is not live is -ESRCH") {
    TestMachine m;
    CHECK(m.core().destroy_domain(3) == kESRCH);
    CHECK(m.core().destroy_domain(kMaxDomains) == kESRCH);
    m.make_domain(3);
    REQUIRE(m.core().destroy_domain(3) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().destroy_domain(3) == kESRCH);
}

TEST_CASE("domain: destroy returns every frame of a fully built domain") {
    TestMachine m;
    const auto baseline = m.core().free_frames();
    m.make_domain(1);
    m.make_domain(2);

    // d1: a live address space, an extra pinned L1, a lazily validated L2 -> L1,
    // its shared_info mapped writable and its grant table mapped read-only.
    const auto d1data = m.frame(1);
    const auto as1 = m.build_address_space(1, d1data);
    const auto extra = m.frame(1);
    REQUIRE(update(m, 1, extra, 0, TestMachine::pte(d1data, kRO)) == kOk);
    REQUIRE(m.core().pin_table(1, extra, kTypeL1) == kOk);
    const auto lazy_l2 = m.frame(1);
    const auto lazy_l1 = m.frame(1);
    REQUIRE(update(m, 1, lazy_l2, 0, TestMachine::pte(lazy_l1, kRW)) == kOk);
    REQUIRE(m.core().pin_table(1, lazy_l2, kTypeL2) == kOk);
    REQUIRE(m.core().unpin_table(1, lazy_l2) == kOk);
    const auto g1 = m.frame(1);
    offer(m, 1, 0, 2, g1);
    offer(m, 1, 1, 0, g1, /*readonly=*/true);
    REQUIRE(update(m, 1, as1.l1, 2, TestMachine::pte(m.state().doms.shared_info.get(1), kRW)) ==
            kOk);
    const auto gtab1 = m.state().doms.gnttab_frame.get(gnttab_frame_index<Concrete>(1, 0));
    REQUIRE(update(m, 1, as1.l1, 3, TestMachine::pte(gtab1, kRO)) == kOk);

    // d2: an address space; grants both ways between d1 and d2, and d0 maps d1's.
    const auto d2data = m.frame(2);
    const auto as2 = m.build_address_space(2, d2data);
    const auto g2 = m.frame(2);
    offer(m, 2, 0, 1, g2);
    map_grant(m, 1, 2, 0, TestMachine::maddr(as1.l1, 1));
    const auto h21 = map_grant(m, 2, 1, 0, TestMachine::maddr(as2.l1, 1));
    const auto h01 = map_grant(m, 0, 1, 1, 0, /*readonly=*/true);

    // Event channels d1 <-> d2 and d0 <-> d1, and one left unbound.
    const auto c12 = connect(m, 1, 2);
    const auto c01 = connect(m, 0, 1);
    std::uint32_t unbound = 0;
    REQUIRE(m.core().evtchn_alloc_unbound(1, DOMID_SELF, 2, unbound) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(grant_status(m, 2, 0) == (GTF_reading | GTF_writing));

    auto d1_released_what_it_held = [&] {
        CHECK(frames_owned_by(m, 1).empty());
        CHECK(m.state().doms.tot_pages.get(1) == 0);
        CHECK(m.state().doms.baseptr.get(1) == kNoFrame);
        CHECK(port_state(m, 1, c12.a_port) == EVTCHNSTAT_closed);
        CHECK(port_state(m, 1, c01.b_port) == EVTCHNSTAT_closed);
        CHECK(port_state(m, 1, unbound) == EVTCHNSTAT_closed);
        CHECK(port_state(m, 0, c01.a_port) == EVTCHNSTAT_unbound); // the peer waits again
    };
    auto d2_got_back_what_d1_held = [&] {
        CHECK(count(m, g2) == 1);          // d1's map of d2's grant is gone ...
        CHECK(grant_status(m, 2, 0) == 0); // ... and with it the status bits
        CHECK(port_state(m, 2, c12.b_port) == EVTCHNSTAT_unbound);
    };

    SECTION("the grantees unmap first: destroy frees the domain at once") {
        REQUIRE(m.core().grant_unmap(2, h21, TestMachine::maddr(as2.l1, 1)) == GNTST_okay);
        REQUIRE(m.core().grant_unmap(0, h01, 0) == GNTST_okay);
        REQUIRE_INVARIANTS(m.core());

        REQUIRE(m.core().destroy_domain(1) == kOk);
        REQUIRE_INVARIANTS(m.core());
        CHECK(dom_state(m, 1) == kDomFree);
        d1_released_what_it_held();
        d2_got_back_what_d1_held();
        CHECK(m.core().free_frames() == baseline - frames_owned_by(m, 2).size());
        CHECK((m.core().take_effects(1) & kEffectShutdown) != 0);

        REQUIRE(m.core().create_domain(1, 8) == kOk); // the id is free again
        REQUIRE_INVARIANTS(m.core());
        REQUIRE(m.core().destroy_domain(1) == kOk);
    }
    SECTION("the domain dies first and is freed when its grantees go") {
        REQUIRE(m.core().destroy_domain(1) == kOk);
        REQUIRE_INVARIANTS(m.core());
        CHECK(dom_state(m, 1) == kDomDying);
        CHECK(frames_owned_by(m, 1) == std::vector<std::uint32_t>{g1}); // mapped by d2 and d0
        d2_got_back_what_d1_held();

        REQUIRE(m.core().grant_unmap(0, h01, 0) == GNTST_okay);
        REQUIRE_INVARIANTS(m.core());
        CHECK(dom_state(m, 1) == kDomDying);        // d2 still maps g1
        REQUIRE(m.core().destroy_domain(2) == kOk); // unmaps d2's map of g1 on the way
        REQUIRE_INVARIANTS(m.core());
        CHECK(dom_state(m, 1) == kDomFree);
        d1_released_what_it_held();
    }
    if (m.core().domain_exists(2)) {
        REQUIRE(m.core().destroy_domain(2) == kOk);
    }
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().free_frames() == baseline);
    CHECK(frames_owned_by(m, 2).empty());
    CHECK(dom_state(m, 2) == kDomFree);
}

TEST_CASE("domain: a granted frame still mapped keeps the destroyed domain dying until unmapped") {
    TestMachine m;
    m.make_domain(2);
    const auto d2data = m.frame(2);
    const auto as2 = m.build_address_space(2, d2data);
    const auto baseline = m.core().free_frames();

    m.make_domain(1);
    const auto d1data = m.frame(1);
    m.build_address_space(1, d1data);
    const auto g = m.frame(1);
    std::uint16_t grantee = 0;
    std::uint64_t pte_maddr = 0;
    SECTION("mapped by a guest through a PTE") {
        grantee = 2;
        pte_maddr = TestMachine::maddr(as2.l1, 1);
    }
    SECTION("mapped by domain 0 without a PTE") {
        grantee = 0;
    }
    offer(m, 1, 7, grantee, g);
    const auto handle = map_grant(m, grantee, 1, 7, pte_maddr);
    std::memset(m.state().mem.frame(g), 0x5a, 64); // what the granter shared

    REQUIRE(m.core().destroy_domain(1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(dom_state(m, 1) == kDomDying);
    CHECK_FALSE(m.core().domain_exists(1));
    CHECK(frames_owned_by(m, 1) == std::vector<std::uint32_t>{g});
    CHECK(m.state().doms.tot_pages.get(1) == 1);
    CHECK(count(m, g) == 1); // only the grant map holds it
    CHECK(m.core().free_frames() == baseline - 1);

    // Dying: no new life, no new maps, and the id is not reusable yet.
    std::uint32_t f = kNoFrame;
    CHECK(m.core().reserve_frame(1, f) == kESRCH);
    CHECK(m.core().create_domain(1, 8) == kEEXIST);
    std::uint32_t h2 = kNoHandle;
    std::uint64_t bus = 0;
    CHECK(m.core().grant_map(grantee, 1, 7, GNTMAP_host_map | (grantee ? GNTMAP_contains_pte : 0),
                             grantee ? TestMachine::maddr(as2.l1, 2) : 0, h2,
                             bus) == GNTST_bad_domain);
    if (grantee == 2) {
        CHECK(pte_frame<Concrete>(m.read_word(as2.l1, 1)) == g); // the grantee still sees it
        CHECK(update(m, 2, as2.l1, 1, 0) == kEPERM);             // only unmap removes it
    }
    REQUIRE_INVARIANTS(m.core());

    REQUIRE(m.core().grant_unmap(grantee, handle, pte_maddr) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());
    CHECK(dom_state(m, 1) == kDomFree);
    CHECK(frames_owned_by(m, 1).empty());
    CHECK(count(m, g) == 0);
    CHECK(m.core().free_frames() == baseline);
    if (grantee == 2) {
        CHECK(m.read_word(as2.l1, 1) == 0);
    }

    REQUIRE(m.core().create_domain(1, 8) == kOk); // reusable now
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.state().doms.tot_pages.get(1) == 1);
}

TEST_CASE("domain: destroy closes event channels and the peer falls back to unbound") {
    TestMachine m;
    m.make_domain(1);
    m.make_domain(2);
    const auto c = connect(m, 1, 2);
    REQUIRE(m.core().destroy_domain(1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(port_state(m, 1, c.a_port) == EVTCHNSTAT_closed);
    CHECK(port_state(m, 2, c.b_port) == EVTCHNSTAT_unbound);
    CHECK(m.core().evtchn_send(2, c.b_port) == kOk); // nobody to tell, and nothing touched
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().evtchn_close(2, c.b_port) == kOk);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("domain: a new guest gets the next id, not one a dead guest's peer still names") {
    TestMachine m;
    CHECK(m.core().pick_free_domid() == 1);
    m.make_domain(1);
    m.make_domain(2);
    CHECK(m.core().pick_free_domid() == 3);
    CHECK(m.core().pick_free_domid([](std::uint16_t d) { return d == 3; }) == 4);

    // 2 and 1 connect; 1 dies, so 2's port falls back to unbound, offered to id 1.
    std::uint32_t p2 = 0;
    std::uint32_t p1 = 0;
    REQUIRE(m.core().evtchn_alloc_unbound(2, DOMID_SELF, 1, p2) == kOk);
    REQUIRE(m.core().evtchn_bind_interdomain(1, 2, p2, p1) == kOk);
    REQUIRE(m.core().destroy_domain(1) == kOk);
    CHECK(m.core().domid_named_by_ports(1));
    CHECK_FALSE(m.core().domid_named_by_ports(5));

    // Every other id in use: the named id is still given rather than none.
    for (std::uint16_t d = 3; d < kMaxDomains; ++d) {
        CHECK(m.core().pick_free_domid() == d);
        m.make_domain(d, 2);
    }
    CHECK(m.core().pick_free_domid() == 1);
    m.make_domain(1, 2);
    CHECK(m.core().pick_free_domid() == 0); // none left
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("domain: ids wrap around past the last and skip an id a live port names") {
    TestMachine m;
    m.make_domain(kMaxDomains - 1);
    CHECK(m.core().pick_free_domid() == 1);
    std::uint32_t p = 0;
    REQUIRE(m.core().evtchn_alloc_unbound(kMaxDomains - 1, DOMID_SELF, 1, p) == kOk);
    CHECK(m.core().pick_free_domid() == 2);
}
