// 2-level event channels through the concrete core: alloc_unbound,
// bind_interdomain, send (pending, selector and upcall flags in shared_info,
// the upcall effect), masking, close, status, and the error paths. Every
// state change is followed by the invariant checker.
#include "tests/core/test_machine.hpp"

namespace enso::test {
namespace {

constexpr std::uint16_t kA = 1;
constexpr std::uint16_t kB = 2;
constexpr std::uint16_t kC = 3;

class EvtchnFixture {
public:
    EvtchnFixture() {
        m.make_domain(kA);
        m.make_domain(kB);
        m.make_domain(kC);
        for (std::uint16_t d = 0; d <= kC; ++d) {
            core().take_effects(d);
        }
        REQUIRE_INVARIANTS(core());
    }

    Core& core() { return m.core(); }
    const CState& st() { return m.core().state(); }

    std::uint32_t si(std::uint16_t d) { return st().doms.shared_info.get(d); }
    std::uint64_t pending_word(std::uint16_t d, std::uint32_t port) {
        return m.read_word(si(d), kEvtchnPendingWord + (port >> 6));
    }
    std::uint64_t selector(std::uint16_t d) { return m.read_word(si(d), kPendingSelWord); }
    // evtchn_upcall_pending is the first byte of vcpu_info[0].
    std::uint8_t upcall_pending(std::uint16_t d) {
        return static_cast<std::uint8_t>(m.read_word(si(d), kUpcallPendingWord) & 0xffU);
    }
    static std::uint64_t bit(std::uint32_t port) { return std::uint64_t{1} << (port & 63U); }

    // What the guest does in its upcall handler: clear the upcall flag, the
    // selector and the pending bit.
    void guest_acknowledge(std::uint16_t d, std::uint32_t port) {
        const auto& mem = st().mem;
        mem.fetch_and64(si(d), kUpcallPendingWord, ~std::uint64_t{0xff});
        mem.store64(si(d), kPendingSelWord, 0);
        mem.fetch_and64(si(d), kEvtchnPendingWord + (port >> 6), ~bit(port));
        core().take_effects(d);
    }
    void guest_mask(std::uint16_t d, std::uint32_t port) {
        st().mem.fetch_or64(si(d), kEvtchnMaskWord + (port >> 6), bit(port));
    }
    bool masked(std::uint16_t d, std::uint32_t port) {
        return (m.read_word(si(d), kEvtchnMaskWord + (port >> 6)) & bit(port)) != 0;
    }

    EvtchnStatus<Concrete> status(std::uint16_t caller, std::uint16_t dom, std::uint32_t port) {
        EvtchnStatus<Concrete> out{};
        REQUIRE(evtchn_status<Concrete>(st(), caller, dom, port, out) == kOk);
        return out;
    }

    // A connected pair: a's port offered to b, b bound to it.
    std::pair<std::uint32_t, std::uint32_t> connect(std::uint16_t a, std::uint16_t b) {
        std::uint32_t pa = 0;
        REQUIRE(core().evtchn_alloc_unbound(a, DOMID_SELF, b, pa) == kOk);
        REQUIRE_INVARIANTS(core());
        std::uint32_t pb = 0;
        REQUIRE(core().evtchn_bind_interdomain(b, a, pa, pb) == kOk);
        REQUIRE_INVARIANTS(core());
        return {pa, pb};
    }

    TestMachine m;
};

} // namespace

TEST_CASE_METHOD(EvtchnFixture, "alloc_unbound, bind_interdomain and send deliver an upcall",
                 "[evtchn]") {
    std::uint32_t pa = 0;
    REQUIRE(core().evtchn_alloc_unbound(kA, DOMID_SELF, kB, pa) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(pa >= 1);
    CHECK(pa < kMaxPorts);
    auto sa = status(kA, DOMID_SELF, pa);
    CHECK(sa.status == EVTCHNSTAT_unbound);
    CHECK(sa.dom == kB);
    // Sending on an unbound port reaches nobody and is not an error.
    CHECK(core().evtchn_send(kA, pa) == kOk);
    CHECK(core().take_effects(kB) == 0);
    CHECK_FALSE(core().evtchn_pending(kA, pa));

    std::uint32_t pb = 0;
    REQUIRE(core().evtchn_bind_interdomain(kB, kA, pa, pb) == kOk);
    REQUIRE_INVARIANTS(core());
    sa = status(kA, DOMID_SELF, pa);
    const auto sb = status(kB, DOMID_SELF, pb);
    CHECK(sa.status == EVTCHNSTAT_interdomain);
    CHECK(sa.dom == kB);
    CHECK(sa.port == pb);
    CHECK(sb.status == EVTCHNSTAT_interdomain);
    CHECK(sb.dom == kA);
    CHECK(sb.port == pa);
    // As Xen: the new local port starts pending, with an upcall.
    CHECK(core().evtchn_pending(kB, pb));
    CHECK((core().take_effects(kB) & kEffectUpcall) != 0);
    CHECK(upcall_pending(kB) == 1);
    CHECK((selector(kB) & bit(pb >> 6)) != 0);
    CHECK_FALSE(core().evtchn_pending(kA, pa));

    // A -> B.
    guest_acknowledge(kB, pb);
    CHECK_FALSE(core().evtchn_pending(kB, pb));
    REQUIRE(core().evtchn_send(kA, pa) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().evtchn_pending(kB, pb));
    CHECK((pending_word(kB, pb) & bit(pb)) != 0);
    CHECK(selector(kB) == (std::uint64_t{1} << (pb >> 6)));
    CHECK(upcall_pending(kB) == 1);
    CHECK(core().take_effects(kB) == kEffectUpcall);
    CHECK(core().take_effects(kA) == 0);
    CHECK_FALSE(core().evtchn_pending(kA, pa));

    // A second send while still pending is coalesced: no new upcall.
    REQUIRE(core().evtchn_send(kA, pa) == kOk);
    CHECK(core().take_effects(kB) == 0);
    CHECK(core().evtchn_pending(kB, pb));

    // B -> A.
    REQUIRE(core().evtchn_send(kB, pb) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().evtchn_pending(kA, pa));
    CHECK(upcall_pending(kA) == 1);
    CHECK((selector(kA) & (std::uint64_t{1} << (pa >> 6))) != 0);
    CHECK(core().take_effects(kA) == kEffectUpcall);
}

TEST_CASE_METHOD(EvtchnFixture, "ports beyond the first selector word use their own bits",
                 "[evtchn]") {
    // Fill ports 1..99 of B so the bound port lands in the second word.
    std::uint32_t p = 0;
    for (int i = 0; i < 99; ++i) {
        REQUIRE(core().evtchn_alloc_unbound(kB, DOMID_SELF, kC, p) == kOk);
    }
    REQUIRE_INVARIANTS(core());
    const auto [pa, pb] = connect(kA, kB);
    CHECK(pb == 100);
    guest_acknowledge(kB, pb);
    REQUIRE(core().evtchn_send(kA, pa) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().evtchn_pending(kB, 100));
    CHECK(pending_word(kB, 100) == bit(100));
    CHECK(m.read_word(si(kB), kEvtchnPendingWord) == 0);
    CHECK(selector(kB) == 0b10);
}

TEST_CASE_METHOD(EvtchnFixture, "a masked port is pending without an upcall; unmask delivers",
                 "[evtchn]") {
    const auto [pa, pb] = connect(kA, kB);
    guest_acknowledge(kB, pb);
    guest_mask(kB, pb);

    REQUIRE(core().evtchn_send(kA, pa) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().evtchn_pending(kB, pb));
    CHECK(selector(kB) == 0);
    CHECK(upcall_pending(kB) == 0);
    CHECK(core().take_effects(kB) == 0);

    REQUIRE(core().evtchn_unmask(kB, pb) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK_FALSE(masked(kB, pb));
    CHECK(core().evtchn_pending(kB, pb));
    CHECK(selector(kB) == (std::uint64_t{1} << (pb >> 6)));
    CHECK(upcall_pending(kB) == 1);
    CHECK(core().take_effects(kB) == kEffectUpcall);

    // Unmasking a port that is not pending delivers nothing.
    guest_acknowledge(kB, pb);
    guest_mask(kB, pb);
    REQUIRE(core().evtchn_unmask(kB, pb) == kOk);
    CHECK(core().take_effects(kB) == 0);
    CHECK(upcall_pending(kB) == 0);
    // Nor does unmasking a port that was never masked.
    REQUIRE(core().evtchn_send(kA, pa) == kOk);
    CHECK(core().take_effects(kB) == kEffectUpcall);
    guest_acknowledge(kB, pb);
    core().state().mem.fetch_or64(si(kB), kEvtchnPendingWord + (pb >> 6), bit(pb));
    REQUIRE(core().evtchn_unmask(kB, pb) == kOk);
    CHECK(core().take_effects(kB) == 0);

    CHECK(core().evtchn_unmask(kB, kMaxPorts) == kEINVAL);
    CHECK(core().evtchn_unmask(9, 1) == kESRCH);
    REQUIRE_INVARIANTS(core());
}

TEST_CASE_METHOD(EvtchnFixture, "close leaves the peer unbound, waiting for the closer",
                 "[evtchn]") {
    const auto [pa, pb] = connect(kA, kB);
    REQUIRE(core().evtchn_close(kA, pa) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(status(kA, DOMID_SELF, pa).status == EVTCHNSTAT_closed);
    const auto sb = status(kB, DOMID_SELF, pb);
    CHECK(sb.status == EVTCHNSTAT_unbound);
    CHECK(sb.dom == kA);
    CHECK_FALSE(core().evtchn_pending(kA, pa));

    // The closed side cannot send; the peer's sends go nowhere.
    CHECK(core().evtchn_send(kA, pa) == kEINVAL);
    guest_acknowledge(kA, pa);
    CHECK(core().evtchn_send(kB, pb) == kOk);
    CHECK(core().take_effects(kA) == 0);
    CHECK_FALSE(core().evtchn_pending(kA, pa));
    // C cannot take over B's port: it waits for A.
    std::uint32_t pc = 0;
    CHECK(core().evtchn_bind_interdomain(kC, kB, pb, pc) == kEINVAL);
    REQUIRE_INVARIANTS(core());

    // A binds again, to B's waiting port.
    std::uint32_t pa2 = 0;
    REQUIRE(core().evtchn_bind_interdomain(kA, kB, pb, pa2) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(status(kB, DOMID_SELF, pb).port == pa2);
    guest_acknowledge(kB, pb);
    REQUIRE(core().evtchn_send(kA, pa2) == kOk);
    CHECK(core().evtchn_pending(kB, pb));

    // Closing the other end works the same way, and a closed port cannot be
    // closed twice.
    REQUIRE(core().evtchn_close(kB, pb) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(status(kA, DOMID_SELF, pa2).status == EVTCHNSTAT_unbound);
    CHECK(status(kA, DOMID_SELF, pa2).dom == kB);
    CHECK(core().evtchn_close(kB, pb) == kEINVAL);
    CHECK(core().evtchn_close(kB, 0) == kEINVAL);
    CHECK(core().evtchn_close(kB, kMaxPorts) == kEINVAL);
    // An unbound port closes without touching anyone.
    REQUIRE(core().evtchn_close(kA, pa2) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(status(kA, DOMID_SELF, pa2).status == EVTCHNSTAT_closed);
}

TEST_CASE_METHOD(EvtchnFixture, "a loopback channel within one domain", "[evtchn]") {
    const auto [p1, p2] = connect(kA, kA);
    CHECK(p1 != p2);
    guest_acknowledge(kA, p2);
    REQUIRE(core().evtchn_send(kA, p1) == kOk);
    CHECK(core().evtchn_pending(kA, p2));
    CHECK_FALSE(core().evtchn_pending(kA, p1));
    REQUIRE(core().evtchn_close(kA, p2) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(status(kA, DOMID_SELF, p1).status == EVTCHNSTAT_unbound);
    REQUIRE(core().evtchn_close(kA, p1) == kOk);
    REQUIRE_INVARIANTS(core());
}

TEST_CASE_METHOD(EvtchnFixture, "bind_interdomain errors", "[evtchn]") {
    std::uint32_t pa = 0;
    REQUIRE(core().evtchn_alloc_unbound(kA, DOMID_SELF, kB, pa) == kOk);
    REQUIRE_INVARIANTS(core());
    std::uint32_t local = 0;

    // A port offered to B, not to C.
    CHECK(core().evtchn_bind_interdomain(kC, kA, pa, local) == kEINVAL);
    CHECK(core().evtchn_bind_interdomain(0, kA, pa, local) == kEINVAL);
    // Nor may A bind to its own offer.
    CHECK(core().evtchn_bind_interdomain(kA, DOMID_SELF, pa, local) == kEINVAL);
    // A closed port, port 0, out of range.
    CHECK(core().evtchn_bind_interdomain(kB, kA, pa + 1, local) == kEINVAL);
    CHECK(core().evtchn_bind_interdomain(kB, kA, 0, local) == kEINVAL);
    CHECK(core().evtchn_bind_interdomain(kB, kA, kMaxPorts, local) == kEINVAL);
    CHECK(core().evtchn_bind_interdomain(kB, kA, 0xffffffffU, local) == kEINVAL);
    // A remote that does not exist, a caller that does not exist.
    CHECK(core().evtchn_bind_interdomain(kB, 9, pa, local) == kESRCH);
    CHECK(core().evtchn_bind_interdomain(kB, 0xfff0, pa, local) == kESRCH);
    CHECK(core().evtchn_bind_interdomain(9, kA, pa, local) == kESRCH);
    REQUIRE_INVARIANTS(core());
    CHECK(status(kA, DOMID_SELF, pa).status == EVTCHNSTAT_unbound);
    for (std::uint16_t d : {kB, kC}) {
        for (std::uint32_t p = 1; p < 8; ++p) {
            CHECK(status(d, DOMID_SELF, p).status == EVTCHNSTAT_closed);
        }
    }

    // Once B is bound, the port is no longer on offer: a second bind fails.
    std::uint32_t pb = 0;
    REQUIRE(core().evtchn_bind_interdomain(kB, kA, pa, pb) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().evtchn_bind_interdomain(kB, kA, pa, local) == kEINVAL);

    // A port that was closed after being offered.
    std::uint32_t pa2 = 0;
    REQUIRE(core().evtchn_alloc_unbound(kA, DOMID_SELF, kC, pa2) == kOk);
    REQUIRE(core().evtchn_close(kA, pa2) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().evtchn_bind_interdomain(kC, kA, pa2, local) == kEINVAL);
    REQUIRE_INVARIANTS(core());
}

TEST_CASE_METHOD(EvtchnFixture, "send on a closed or invalid port is -EINVAL", "[evtchn]") {
    CHECK(core().evtchn_send(kA, 1) == kEINVAL); // never allocated
    CHECK(core().evtchn_send(kA, 0) == kEINVAL);
    CHECK(core().evtchn_send(kA, kMaxPorts) == kEINVAL);
    CHECK(core().evtchn_send(kA, 0xffffffffU) == kEINVAL);
    CHECK(core().evtchn_send(9, 1) == kESRCH);
    const auto [pa, pb] = connect(kA, kB);
    core().take_effects(kB); // the bind's own upcall
    REQUIRE(core().evtchn_close(kB, pb) == kOk);
    CHECK(core().evtchn_send(kB, pb) == kEINVAL);
    REQUIRE(core().evtchn_close(kA, pa) == kOk);
    CHECK(core().evtchn_send(kA, pa) == kEINVAL);
    REQUIRE_INVARIANTS(core());
    for (std::uint16_t d = 0; d <= kC; ++d) {
        CHECK((core().take_effects(d) & kEffectUpcall) == 0);
    }
}

TEST_CASE_METHOD(EvtchnFixture, "ports are exhausted after 1023: -ENOSPC", "[evtchn]") {
    std::vector<std::uint32_t> ports;
    for (std::uint32_t i = 1; i < kMaxPorts; ++i) {
        std::uint32_t p = 0;
        REQUIRE(core().evtchn_alloc_unbound(kA, DOMID_SELF, kB, p) == kOk);
        REQUIRE(p == i); // lowest free port first
        ports.push_back(p);
    }
    REQUIRE_INVARIANTS(core());
    std::uint32_t p = 0;
    CHECK(core().evtchn_alloc_unbound(kA, DOMID_SELF, kB, p) == kENOSPC);
    // Binding needs a free local port too.
    std::uint32_t pb = 0;
    REQUIRE(core().evtchn_alloc_unbound(kB, DOMID_SELF, kA, pb) == kOk);
    std::uint32_t local = 0;
    CHECK(core().evtchn_bind_interdomain(kA, kB, pb, local) == kENOSPC);
    CHECK(status(kB, DOMID_SELF, pb).status == EVTCHNSTAT_unbound); // unchanged
    REQUIRE_INVARIANTS(core());
    // Other domains have their own ports.
    REQUIRE(core().evtchn_alloc_unbound(kC, DOMID_SELF, kA, p) == kOk);
    // Closing one frees exactly one.
    REQUIRE(core().evtchn_close(kA, 500) == kOk);
    REQUIRE(core().evtchn_alloc_unbound(kA, DOMID_SELF, kB, p) == kOk);
    CHECK(p == 500);
    CHECK(core().evtchn_alloc_unbound(kA, DOMID_SELF, kB, p) == kENOSPC);
    REQUIRE_INVARIANTS(core());
}

TEST_CASE_METHOD(EvtchnFixture, "only domain 0 acts on another domain's ports", "[evtchn]") {
    std::uint32_t p = 0;
    // alloc_unbound for another domain.
    CHECK(core().evtchn_alloc_unbound(kA, kB, kC, p) == kEPERM);
    CHECK(core().evtchn_alloc_unbound(kA, 0, kC, p) == kEPERM);
    CHECK(status(kB, DOMID_SELF, 1).status == EVTCHNSTAT_closed);
    REQUIRE_INVARIANTS(core());
    // Naming oneself by id is fine.
    REQUIRE(core().evtchn_alloc_unbound(kA, kA, kC, p) == kOk);
    REQUIRE_INVARIANTS(core());
    // Domain 0 may allocate in B, offering it to C (as a toolstack does).
    std::uint32_t pb = 0;
    REQUIRE(core().evtchn_alloc_unbound(0, kB, kC, pb) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(status(kB, DOMID_SELF, pb).status == EVTCHNSTAT_unbound);
    CHECK(status(kB, DOMID_SELF, pb).dom == kC);
    std::uint32_t pc = 0;
    REQUIRE(core().evtchn_bind_interdomain(kC, kB, pb, pc) == kOk);
    REQUIRE_INVARIANTS(core());
    std::uint32_t unused = 0;
    CHECK(core().evtchn_alloc_unbound(0, 9, kC, unused) == kESRCH);
    CHECK(core().evtchn_alloc_unbound(kA, DOMID_SELF, 0xfff0, unused) == kESRCH);

    // status of another domain.
    EvtchnStatus<Concrete> out{};
    CHECK(evtchn_status<Concrete>(st(), kA, kB, pb, out) == kEPERM);
    CHECK(evtchn_status<Concrete>(st(), kC, kB, pb, out) == kEPERM);
    CHECK(evtchn_status<Concrete>(st(), kA, 0, 1, out) == kEPERM);
    REQUIRE(evtchn_status<Concrete>(st(), 0, kB, pb, out) == kOk);
    CHECK(out.status == EVTCHNSTAT_interdomain);
    CHECK(out.dom == kC);
    CHECK(out.port == pc);
    CHECK(evtchn_status<Concrete>(st(), 0, 9, 1, out) == kESRCH);
    CHECK(evtchn_status<Concrete>(st(), kA, DOMID_SELF, kMaxPorts, out) == kEINVAL);
    REQUIRE(evtchn_status<Concrete>(st(), kA, kA, p, out) == kOk);
    CHECK(out.status == EVTCHNSTAT_unbound);
}

TEST_CASE_METHOD(EvtchnFixture, "destroying a domain closes its ports; its peers wait unbound",
                 "[evtchn]") {
    const auto [pa, pb] = connect(kA, kB);
    std::uint32_t pc = 0;
    REQUIRE(core().evtchn_alloc_unbound(kB, DOMID_SELF, kC, pc) == kOk);
    REQUIRE(core().destroy_domain(kB) == kOk);
    REQUIRE_INVARIANTS(core());
    const auto sa = status(kA, DOMID_SELF, pa);
    CHECK(sa.status == EVTCHNSTAT_unbound);
    CHECK(sa.dom == kB);
    CHECK(core().evtchn_send(kA, pa) == kOk);
    CHECK(core().evtchn_send(kB, pb) == kESRCH);
    std::uint32_t local = 0;
    CHECK(core().evtchn_bind_interdomain(kC, kB, pc, local) == kESRCH);
    CHECK(core().evtchn_bind_interdomain(kA, kB, pb, local) == kESRCH);
    REQUIRE_INVARIANTS(core());
}

} // namespace enso::test
