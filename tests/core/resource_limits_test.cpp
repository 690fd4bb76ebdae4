// Resource limits (issue 7): one domain exhausting its frames, event
// channels, grant table and maptrack gets each limit's documented error,
// while every other domain is served as before; machine memory running out
// refuses only what needs a new frame; and tearing the greedy domain down
// gives everything back. The KVM side of the same story is
// tests/hostile/exhaust_resources.
#include "tests/core/test_machine.hpp"

#include <cstring>

namespace enso::test {
namespace {

constexpr std::uint16_t kGreedy = 1;
constexpr std::uint16_t kOther = 2;
constexpr std::uint16_t kGranter = 3;

// One round of everything a well-behaved domain does, each step checked:
// frames, an address space, pin and unpin, event channels with domain 0, a
// grant to domain 0 that domain 0 maps, and hypercalls through the
// dispatcher. Returns with d holding nothing more than before.
void serve(TestMachine& m, std::uint16_t d) {
    Core& c = m.core();
    std::uint32_t data = kNoFrame;
    REQUIRE(c.reserve_frame(d, data) == kOk);
    std::uint32_t table = kNoFrame;
    REQUIRE(c.reserve_frame(d, table) == kOk);
    REQUIRE(update(m, d, table, 0, TestMachine::pte(data, kRW)) == kOk);
    REQUIRE(c.pin_table(d, table, kTypeL1) == kOk);
    REQUIRE(c.unpin_table(d, table) == kOk);
    REQUIRE_INVARIANTS(c);

    std::uint32_t port = 0;
    REQUIRE(c.evtchn_alloc_unbound(d, DOMID_SELF, 0, port) == kOk);
    std::uint32_t dom0_port = 0;
    REQUIRE(c.evtchn_bind_interdomain(0, d, port, dom0_port) == kOk);
    REQUIRE(c.evtchn_send(d, port) == kOk);
    CHECK(c.evtchn_pending(0, dom0_port));
    REQUIRE(c.evtchn_close(0, dom0_port) == kOk);
    REQUIRE(c.evtchn_close(d, port) == kOk);
    REQUIRE_INVARIANTS(c);

    if (m.state().doms.gnttab_nr_frames.get(d) > 0) {
        c.grant_write_entry(d, 10, GTF_permit_access, 0, data);
        std::uint32_t handle = kNoHandle;
        std::uint64_t bus = 0;
        REQUIRE(c.grant_map(0, d, 10, GNTMAP_host_map, 0, handle, bus) == GNTST_okay);
        CHECK(bus == std::uint64_t{data} * kPageSize);
        REQUIRE(c.grant_unmap(0, handle, 0) == GNTST_okay);
        REQUIRE(c.grant_end_access(d, 10));
        REQUIRE_INVARIANTS(c);
    }

    // A hypercall with an argument in guest memory (d has no base pointer
    // in these tests: addresses are machine addresses of its own frames).
    evtchn_alloc_unbound_t op{};
    op.dom = DOMID_SELF;
    op.remote_dom = 0;
    std::memcpy(m.core().state().mem.frame(data) + 64, &op, sizeof op);
    const std::uint64_t arg = std::uint64_t{data} * kPageSize + 64;
    REQUIRE(m.dispatch().call(d, __HYPERVISOR_event_channel_op,
                              {EVTCHNOP_alloc_unbound, arg, 0, 0, 0}) == kOk);
    std::memcpy(&op, m.core().state().mem.frame(data) + 64, sizeof op);
    REQUIRE(c.evtchn_close(d, op.port) == kOk);

    REQUIRE(update(m, d, table, 0, 0) == kOk);
    REQUIRE(c.release_frame(d, table) == kOk);
    REQUIRE(c.release_frame(d, data) == kOk);
    REQUIRE_INVARIANTS(c);
}

} // namespace

TEST_CASE("limits: one domain exhausting its quota, ports, grant table and maptrack leaves the "
          "others served") {
    TestMachine m(4096);
    m.make_domain(kGreedy, 64);
    m.make_domain(kOther, 64);
    m.make_domain(kGranter, 64);
    std::vector<std::uint32_t> frames;
    REQUIRE(m.core().grant_setup_table(kOther, 1, frames) == GNTST_okay);
    REQUIRE(m.core().grant_setup_table(kGranter, 1, frames) == GNTST_okay);
    const std::uint32_t granted = m.frame(kGranter);
    m.core().grant_write_entry(kGranter, 8, GTF_permit_access | GTF_readonly, kGreedy, granted);
    REQUIRE_INVARIANTS(m.core());
    serve(m, kOther);
    const auto free_before = m.core().free_frames();

    // Frames: the quota, then -ENOMEM (and through memory_op: 0 extents).
    std::uint32_t got = 0;
    for (std::uint32_t f = kNoFrame; m.core().reserve_frame(kGreedy, f) == kOk;) {
        ++got;
    }
    CHECK(got == 64 - 1); // its shared_info counts against the quota
    std::uint32_t f = kNoFrame;
    CHECK(m.core().reserve_frame(kGreedy, f) == kENOMEM);

    // Grant table: four frames (beyond the quota: the core's own), then no more.
    REQUIRE(m.core().grant_setup_table(kGreedy, 4, frames) == GNTST_okay);
    CHECK(m.core().grant_setup_table(kGreedy, 5, frames) == GNTST_general_error);
    std::uint32_t handle = kNoHandle;
    std::uint64_t bus = 0;
    CHECK(m.core().grant_map(kGreedy, kGranter, kMaxGrantRefs, GNTMAP_device_map, 0, handle, bus) ==
          GNTST_bad_gntref);

    // Event channels: every port, then -ENOSPC.
    std::uint32_t ports = 0;
    for (std::uint32_t p = 0; m.core().evtchn_alloc_unbound(kGreedy, DOMID_SELF, 0, p) == kOk;) {
        ++ports;
    }
    CHECK(ports == kMaxPorts - 1);
    std::uint32_t p = 0;
    CHECK(m.core().evtchn_alloc_unbound(kGreedy, DOMID_SELF, 0, p) == kENOSPC);

    // Maptrack: every handle on one grant, then no_device_space.
    std::uint32_t maps = 0;
    while (m.core().grant_map(kGreedy, kGranter, 8, GNTMAP_device_map | GNTMAP_readonly, 0, handle,
                              bus) == GNTST_okay) {
        ++maps;
    }
    CHECK(maps == kMaxMaptrack);
    CHECK(m.core().grant_map(kGreedy, kGranter, 8, GNTMAP_device_map | GNTMAP_readonly, 0, handle,
                             bus) == GNTST_no_device_space);
    REQUIRE_INVARIANTS(m.core());

    // Everyone else is served as before, and can still grant to the greedy one.
    serve(m, kOther);
    serve(m, kGranter);
    CHECK(m.core().grant_map(kOther, kGranter, 8, GNTMAP_device_map | GNTMAP_readonly, 0, handle,
                             bus) == GNTST_general_error); // not its grant: the usual answer
    m.core().grant_write_entry(kGranter, 9, GTF_permit_access, kOther, granted);
    REQUIRE(m.core().grant_map(kOther, kGranter, 9, GNTMAP_device_map, 0, handle, bus) ==
            GNTST_okay);
    REQUIRE(m.core().grant_unmap(kOther, handle, 0) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());

    // Teardown returns every frame, port and handle it held.
    REQUIRE(m.core().destroy_domain(kGreedy) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().free_frames() == free_before + 1); // its shared_info too
    CHECK(m.state().grants.act_readers.get(grant_index<Concrete>(kGranter, 8)) == 0);
    CHECK(m.core().grant_end_access(kGranter, 8));
    REQUIRE(m.core().create_domain(kGreedy, 64) == kOk); // its id is free again
    serve(m, kGreedy);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("limits: machine memory running out refuses only what needs a new frame") {
    TestMachine m(256);
    m.make_domain(kGreedy, 100000);
    m.make_domain(kOther, 64);
    std::vector<std::uint32_t> frames;
    REQUIRE(m.core().grant_setup_table(kOther, 1, frames) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());

    // Through the dispatcher, as a guest asks: increase_reservation of many
    // extents gives what there is and says how many (Xen's semantics).
    const std::uint32_t args = m.frame(kGreedy);
    xen_memory_reservation_t r{};
    r.nr_extents = 4096;
    r.extent_order = 0;
    r.domid = DOMID_SELF; // extent_start NULL: the frames are not listed
    std::memcpy(m.core().state().mem.frame(args), &r, sizeof r);
    const long done =
        m.dispatch().call(kGreedy, __HYPERVISOR_memory_op,
                          {XENMEM_increase_reservation, std::uint64_t{args} * kPageSize, 0, 0, 0});
    CHECK(done > 0);
    CHECK(done < 4096);
    CHECK(m.core().free_frames() == 0);
    CHECK(m.dispatch().call(
              kGreedy, __HYPERVISOR_memory_op,
              {XENMEM_increase_reservation, std::uint64_t{args} * kPageSize, 0, 0, 0}) == 0);
    REQUIRE_INVARIANTS(m.core());

    // What needs a new frame is refused with its documented error ...
    std::uint32_t f = kNoFrame;
    CHECK(m.core().reserve_frame(kOther, f) == kENOMEM);
    CHECK(m.core().grant_setup_table(kOther, 2, frames) == GNTST_general_error);
    CHECK(m.core().create_domain(kGranter, 64) == kENOMEM);
    REQUIRE_INVARIANTS(m.core());

    // ... and everything else still works for the other domain.
    std::uint32_t port = 0;
    REQUIRE(m.core().evtchn_alloc_unbound(kOther, DOMID_SELF, 0, port) == kOk);
    REQUIRE(m.core().evtchn_close(kOther, port) == kOk);
    REQUIRE(m.core().grant_setup_table(kOther, 1, frames) == GNTST_okay); // has it already
    REQUIRE_INVARIANTS(m.core());

    // One frame given back is one frame for whoever asks next.
    std::uint32_t given_back = kNoFrame;
    for (std::uint32_t g = 1; g < m.state().nr_frames; ++g) {
        if (owned_by<Concrete>(m.state(), g, kGreedy) && g != args &&
            m.state().frames.count.get(g) == 1) {
            given_back = g;
            break;
        }
    }
    REQUIRE(given_back != kNoFrame);
    REQUIRE(m.core().release_frame(kGreedy, given_back) == kOk);
    REQUIRE(m.core().reserve_frame(kOther, f) == kOk);
    CHECK(f == given_back);
    REQUIRE(m.core().destroy_domain(kGreedy) == kOk);
    REQUIRE(m.core().create_domain(kGranter, 64) == kOk);
    REQUIRE_INVARIANTS(m.core());
}

} // namespace enso::test
