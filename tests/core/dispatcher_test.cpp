// The hypercall ABI end to end: arguments in guest memory, decoded by the
// dispatcher, results and OUT fields written back, bad pointers refused.
#include "test_guest.hpp"
#include "test_machine.hpp"

#include <cstring>
#include <string>

namespace enso::test {

TEST_CASE("dispatcher: mmu_update batches report success_count and stop at the first failure",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    const auto l1 = m.frame(1);
    const auto data = m.frame(1);
    REQUIRE(m.core().pin_table(1, l1, kTypeL1) == kOk);
    const mmu_update_t reqs[3] = {
        {TestMachine::maddr(l1, 0), TestMachine::pte(data, kPteP | kPteUS)},
        {TestMachine::maddr(l1, 1), TestMachine::pte(data, kPteP | kPteUS | kPteRW)},
        {TestMachine::maddr(l1, 2), TestMachine::pte(l1, kPteP | kPteRW)}, // RW map of a table
    };
    g.put(0, reqs);
    g.put<std::uint32_t>(512, 99);
    REQUIRE(g.call(__HYPERVISOR_mmu_update, g.at(0), 3, g.at(512), DOMID_SELF) == kEINVAL);
    REQUIRE(g.get<std::uint32_t>(512) == 2);
    REQUIRE(m.read_word(l1, 1) == reqs[1].val);
    REQUIRE(m.read_word(l1, 2) == 0);
    REQUIRE_INVARIANTS(m.core());

    SECTION("a foreign domain id is refused") {
        REQUIRE(g.call(__HYPERVISOR_mmu_update, g.at(0), 1, 0, 2) == kEPERM);
    }
    SECTION("a huge count is refused before any work") {
        REQUIRE(g.call(__HYPERVISOR_mmu_update, g.at(0), kMaxBatch + 1, 0, DOMID_SELF) == kE2BIG);
    }
}

TEST_CASE("dispatcher: bad guest pointers are -EFAULT, never a crash", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    Guest other(m, 2);
    const std::uint64_t end_of_memory = std::uint64_t{m.core().nr_frames()} << kPageShift;
    for (const std::uint64_t bad : {std::uint64_t{0}, other.at(0), end_of_memory,
                                    ~std::uint64_t{0} - 7, g.at(kPageSize - 2)}) {
        INFO("pointer 0x" << std::hex << bad);
        // The last one straddles the end of the argument frame into a frame d1 does not own.
        REQUIRE(g.call(__HYPERVISOR_mmu_update, bad, 1, 0, DOMID_SELF) == kEFAULT);
        REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, bad) == kEFAULT);
        REQUIRE(g.call(__HYPERVISOR_console_io, CONSOLEIO_write, 16, bad) == kEFAULT);
        REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, bad, 1) == kEFAULT);
        REQUIRE(g.call(__HYPERVISOR_memory_op, XENMEM_increase_reservation, bad) == kEFAULT);
        REQUIRE(g.call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, bad) == kEFAULT);
    }
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("dispatcher: hypercalls write only through the guest's own rights", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    const auto l1 = m.frame(1);
    REQUIRE(m.core().pin_table(1, l1, kTypeL1) == kOk);
    // An OUT structure placed in a page table must not be written by the core.
    evtchn_alloc_unbound_t op{DOMID_SELF, 0, 0};
    std::memcpy(m.core().state().mem.frame(l1) + 64, &op, sizeof op);
    REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                   (std::uint64_t{l1} << kPageShift) + 64) == kEFAULT);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("dispatcher: OUT fields never land in the core's shared pages", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    std::vector<std::uint32_t> frames;
    REQUIRE(m.core().grant_setup_table(1, 1, frames) == GNTST_okay);
    const auto shared_info = m.core().state().doms.shared_info.get(1);
    for (const std::uint32_t f : {frames[0], shared_info}) {
        INFO("frame " << f);
        const std::uint64_t at = std::uint64_t{f} << kPageShift;
        REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, at) == kEFAULT);
        REQUIRE(g.call(__HYPERVISOR_xen_version, XENVER_extraversion, at) == kEFAULT);
    }
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("dispatcher: pointers are virtual addresses once the guest has page tables",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    const auto ro = m.frame(1);
    auto as = m.build_address_space(1, g.args); // va 0 -> args frame, writable
    REQUIRE(m.core().mmu_update(1, TestMachine::maddr(as.l1, 1),
                                TestMachine::pte(ro, kPteP | kPteUS)) == kOk); // va 4K read-only
    const char text[] = "hello from d1\n";
    g.put(0, text);
    REQUIRE(g.call(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof text - 1, 0) == kOk);
    REQUIRE(m.core().console(1) == "hello from d1\n");
    // The machine address of the frame is no longer a valid pointer...
    REQUIRE(g.call(__HYPERVISOR_console_io, CONSOLEIO_write, 4, g.at(0)) == kEFAULT);
    // ... and a read-only page cannot receive OUT fields: the operation does
    // not even run.
    evtchn_alloc_unbound_t op{DOMID_SELF, 0, 0};
    std::memcpy(m.core().state().mem.frame(ro), &op, sizeof op);
    REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, kPageSize) == kEFAULT);
    REQUIRE(m.core().state().evtchn.state.get(port_index<Concrete>(1, 1)) == EVTCHNSTAT_closed);
    g.put(256, op);
    REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, 256) == kOk);
    REQUIRE(g.get<evtchn_alloc_unbound_t>(256).port == 1);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("dispatcher: multicall runs each entry and refuses nesting", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    multicall_entry_t calls[3] = {};
    calls[0].op = __HYPERVISOR_xen_version;
    calls[0].args[0] = XENVER_version;
    calls[1].op = __HYPERVISOR_multicall;
    calls[2].op = 12345;
    g.put(0, calls);
    REQUIRE(g.call(__HYPERVISOR_multicall, g.at(0), 3) == kOk);
    std::memcpy(calls, m.core().state().mem.frame(g.args), sizeof calls);
    const auto* out = calls;
    REQUIRE(out[0].result == static_cast<xen_ulong_t>((4L << 16) | 17));
    REQUIRE(static_cast<long>(out[1].result) == kEINVAL);
    REQUIRE(static_cast<long>(out[2].result) == kENOSYS);
}

TEST_CASE("dispatcher: memory_op reserves and releases through guest lists", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    xen_memory_reservation_t res{};
    const std::uint64_t list_at = g.at(1024);
    std::memcpy(&res.extent_start, &list_at, sizeof list_at);
    res.nr_extents = 4;
    res.domid = DOMID_SELF;
    g.put(0, res);
    const auto before = m.core().state().doms.tot_pages.get(1);
    REQUIRE(g.call(__HYPERVISOR_memory_op, XENMEM_increase_reservation, g.at(0)) == 4);
    REQUIRE(m.core().state().doms.tot_pages.get(1) == before + 4);
    const auto f0 = g.get<xen_pfn_t>(1024);
    REQUIRE(owned_by<Concrete>(m.core().state(), static_cast<std::uint32_t>(f0), 1));
    REQUIRE(g.call(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, g.at(0)) == 4);
    REQUIRE(m.core().state().doms.tot_pages.get(1) == before);
    domid_t self = DOMID_SELF;
    g.put(2048, self);
    REQUIRE(g.call(__HYPERVISOR_memory_op, XENMEM_current_reservation, g.at(2048)) == before);
    REQUIRE(g.call(__HYPERVISOR_memory_op, XENMEM_maximum_reservation, g.at(2048)) == 256);
    SECTION("another domain's reservation is domain 0's business") {
        domid_t other = 0;
        g.put(2048, other);
        REQUIRE(g.call(__HYPERVISOR_memory_op, XENMEM_current_reservation, g.at(2048)) == kEPERM);
    }
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("dispatcher: grant and event-channel operations through guest memory", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    const auto page = m.frame(1);
    gnttab_setup_table setup{};
    setup.dom = DOMID_SELF;
    setup.nr_frames = 1;
    const std::uint64_t frames_at = g.at(512);
    std::memcpy(&setup.frame_list, &frames_at, sizeof frames_at);
    g.put(0, setup);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, g.at(0), 1) == kOk);
    REQUIRE(g.get<gnttab_setup_table>(0).status == GNTST_okay);
    const auto gframe = g.get<xen_pfn_t>(512);
    REQUIRE(gframe == grant_entry_frame<Concrete>(m.core().state(), 1, 0));
    m.core().grant_write_entry(1, 3, GTF_permit_access, 0, page);

    // Domain 0 maps it the way a back end does.
    std::uint32_t handle = 0;
    std::uint64_t bus = 0;
    REQUIRE(m.core().grant_map(0, 1, 3, GNTMAP_host_map, 0, handle, bus) == GNTST_okay);
    REQUIRE(bus == std::uint64_t{page} << kPageShift);

    gnttab_query_size q{};
    q.dom = DOMID_SELF;
    g.put(0, q);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, g.at(0), 1) == kOk);
    REQUIRE(g.get<gnttab_query_size>(0).nr_frames == 1);
    REQUIRE(g.get<gnttab_query_size>(0).max_nr_frames == kMaxGrantFrames);

    evtchn_alloc_unbound_t alloc{DOMID_SELF, 0, 0};
    g.put(0, alloc);
    REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, g.at(0)) == kOk);
    const auto port = g.get<evtchn_alloc_unbound_t>(0).port;
    std::uint32_t back = 0;
    REQUIRE(m.core().evtchn_bind_interdomain(0, 1, port, back) == kOk);
    evtchn_status_t st{};
    st.dom = DOMID_SELF;
    st.port = port;
    g.put(0, st);
    REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_status, g.at(0)) == kOk);
    REQUIRE(g.get<evtchn_status_t>(0).status == EVTCHNSTAT_interdomain);
    REQUIRE(g.get<evtchn_status_t>(0).u.interdomain.port == back);
    evtchn_send_t send{port};
    g.put(0, send);
    REQUIRE(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_send, g.at(0)) == kOk);
    REQUIRE(m.core().evtchn_pending(0, back));
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("dispatcher: grant table version and v2 status frames, one operation a call",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    gnttab_get_version gv{};
    gv.dom = DOMID_SELF;
    g.put(0, gv);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_get_version, g.at(0), 1) == kOk);
    CHECK(g.get<gnttab_get_version>(0).version == 1);

    gnttab_get_status_frames gsf{};
    gsf.dom = DOMID_SELF;
    gsf.nr_frames = 1;
    const std::uint64_t list_at = g.at(512);
    std::memcpy(&gsf.frame_list, &list_at, sizeof list_at);
    g.put(0, gsf);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames, g.at(0), 1) == kOk);
    CHECK(g.get<gnttab_get_status_frames>(0).status == GNTST_general_error); // v1 has none

    // set_version answers with the version in force, whatever it returns.
    gnttab_set_version sv{7};
    g.put(0, sv);
    CHECK(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_set_version, g.at(0), 1) == kEINVAL);
    CHECK(g.get<gnttab_set_version>(0).version == 1);
    CHECK(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_set_version, g.at(0), 2) == kEINVAL);
    sv.version = 2;
    g.put(0, sv);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_set_version, g.at(0), 1) == kOk);
    CHECK(g.get<gnttab_set_version>(0).version == 2);
    REQUIRE_INVARIANTS(m.core());

    g.put(0, gsf);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames, g.at(0), 1) == kOk);
    CHECK(g.get<gnttab_get_status_frames>(0).status == GNTST_okay);
    CHECK(g.get<std::uint64_t>(512) == m.core().grant_status_frame(1));
    gsf.nr_frames = 2; // one frame holds every status Enso keeps
    g.put(0, gsf);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames, g.at(0), 1) == kOk);
    CHECK(g.get<gnttab_get_status_frames>(0).status == GNTST_general_error);
    gsf.nr_frames = 1;
    gsf.dom = 2; // another domain's, asked by a guest that is not domain 0
    g.put(0, gsf);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames, g.at(0), 1) == kOk);
    CHECK(g.get<gnttab_get_status_frames>(0).status == GNTST_permission_denied);

    sv.version = 1;
    g.put(0, sv);
    REQUIRE(g.call(__HYPERVISOR_grant_table_op, GNTTABOP_set_version, g.at(0), 1) == kOk);
    CHECK(g.get<gnttab_set_version>(0).version == 1);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("dispatcher: sched_op, xen_version and unknown hypercalls", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    REQUIRE(g.call(__HYPERVISOR_xen_version, XENVER_version) == ((4L << 16) | 17));
    REQUIRE(g.call(__HYPERVISOR_xen_version, XENVER_extraversion, g.at(0)) == kOk);
    REQUIRE(std::string(reinterpret_cast<const char*>(m.core().state().mem.frame(g.args))) ==
            "-enso");
    REQUIRE(g.call(__HYPERVISOR_xen_version, XENVER_pagesize) == 4096);
    REQUIRE(g.call(9999) == kENOSYS);
    REQUIRE(g.call(__HYPERVISOR_sched_op, SCHEDOP_yield) == kOk);
    REQUIRE(g.call(__HYPERVISOR_sched_op, SCHEDOP_block) == kOk);
    REQUIRE((m.core().take_effects(1) & kEffectBlock) != 0);
    sched_shutdown_t bad{SHUTDOWN_MAX + 1};
    g.put(0, bad);
    REQUIRE(g.call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, g.at(0)) == kEINVAL);
    sched_shutdown_t down{SHUTDOWN_poweroff};
    g.put(0, down);
    REQUIRE(g.call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, g.at(0)) == kOk);
    REQUIRE(m.core().state().doms.shutdown_code.get(1) == SHUTDOWN_poweroff);
    REQUIRE((m.core().take_effects(1) & kEffectShutdown) != 0);
    REQUIRE(m.dispatch().call(7, __HYPERVISOR_sched_op, {SCHEDOP_yield, 0, 0, 0, 0}) == kESRCH);
}

} // namespace enso::test
