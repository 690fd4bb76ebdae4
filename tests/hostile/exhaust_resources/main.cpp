// Resource limits (issue 7): takes every frame its quota allows
// (increase_reservation until it gives no more), every event channel
// (-ENOSPC), every grant entry of its table (the guest's -ENOSPC), grows
// its grant table to the limit (then GNTST_general_error), and fills its
// maptrack by mapping the victim's read-only grant (kArgRef) until
// GNTST_no_device_space. Then it answers with what it got and waits while
// the driver checks that the victim and domain 0 are still served; after
// the next command it returns, still holding everything - the driver
// destroys it and checks that every frame came back.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/grants.hpp"
#include "workloads/guest/scratch_area.hpp"

namespace enso::hostile {

const char test_title[] = "exhaust_resources";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const auto ref = static_cast<grant_ref_t>(a[kArgRef]);

    uint64_t frames = 0;
    xen_pfn_t f = 0;
    while (reservation1(XENMEM_increase_reservation, &f) == 1) {
        ++frames;
    }
    info("increase_reservation gave %lu frames, then none", frames);
    expect("some frames before the quota ran out", frames > 0);
    expect_value("one more extent", reservation1(XENMEM_increase_reservation, &f), 0);

    uint64_t ports = 0;
    evtchn_port_t p = 0;
    long rc = 0;
    while ((rc = evtchn_alloc_unbound(DOMID_SELF, 0, &p)) == 0) {
        ++ports;
    }
    info("alloc_unbound gave %lu ports", ports);
    expect_errno("the next alloc_unbound", rc, -XEN_ENOSPC);

    uint64_t refs = 0;
    while ((rc = grant_access(victim, f, true)) >= 0) {
        ++refs;
    }
    info("its grant table frame 0 took %lu grants", refs);
    expect_errno("the next grant", rc, -XEN_ENOSPC);
    gnttab_setup_table_t st{};
    xen_pfn_t list[5];
    st.dom = DOMID_SELF;
    st.nr_frames = 4;
    set_xen_guest_handle(st.frame_list, list);
    HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
    expect_gntst("grow its grant table to 4 frames", st.status, GNTST_okay);
    st.nr_frames = 5;
    HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
    expect_gntst("and to 5", st.status, GNTST_general_error);

    // Maptrack: device mappings (no PTE needed), in one batch past the limit.
    constexpr unsigned kMaps = 1025;
    uint64_t* buf = nullptr;
    expect_errno("a buffer for the batch",
                 scratch_buffer(kMaps * sizeof(gnttab_map_grant_ref_t), &buf), 0);
    auto* ops = reinterpret_cast<gnttab_map_grant_ref_t*>(buf);
    for (unsigned i = 0; i < kMaps; ++i) {
        ops[i] = gnttab_map_grant_ref_t{};
        ops[i].flags = GNTMAP_device_map | GNTMAP_readonly;
        ops[i].ref = ref;
        ops[i].dom = victim;
    }
    expect_errno("1025 maps of the victim's grant",
                 HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, ops, kMaps), 0);
    uint64_t mapped = 0;
    for (unsigned i = 0; i < kMaps; ++i) {
        mapped += ops[i].status == GNTST_okay ? 1 : 0;
    }
    expect_value("maps that succeeded", mapped, 1024);
    expect_gntst("the last one", ops[kMaps - 1].status, GNTST_no_device_space);

    handshake(frames, ports, refs, mapped);
}

} // namespace enso::hostile
