// Changes the type of page tables in use: pins its linked scratch L1 as an
// L2 and its scratch L3 as an L1 or an L4 (a table's type is fixed while
// anything references it: -EINVAL), has GNTTABOP_copy write into the L1
// (never: GNTST_general_error), and gives the L1 back to the pool (refused:
// no extent released). Pinning the L1 as what it is stays allowed.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa401_retype_without_devalidation.cpp, verify/mutants/pin_any_level.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "retype_live_table";

void test_main(Args) {
    using namespace guest;
    const uint64_t va = scratch_page(0);
    const uint64_t l1 = l1e_of(va) >> kPageShift;
    const uint64_t l3 = entry_maddr(va, 3) >> kPageShift;
    expect("scratch tables down to L1", va != 0 && l1 != 0);

    expect_errno("pin the live L1 as an L2", mmuext(MMUEXT_PIN_L2_TABLE, l1), -XEN_EINVAL);
    expect_errno("pin the live L1 as an L4", mmuext(MMUEXT_PIN_L4_TABLE, l1), -XEN_EINVAL);
    expect_errno("pin the live L3 as an L1", mmuext(MMUEXT_PIN_L1_TABLE, l3), -XEN_EINVAL);
    expect_errno("pin the live L3 as an L4", mmuext(MMUEXT_PIN_L4_TABLE, l3), -XEN_EINVAL);
    expect_errno("pin the live L1 as an L1 (allowed)", mmuext(MMUEXT_PIN_L1_TABLE, l1), 0);
    expect_errno("pin it again (pins do not nest)", mmuext(MMUEXT_PIN_L1_TABLE, l1), -XEN_EINVAL);
    expect_errno("unpin it", mmuext(MMUEXT_UNPIN_TABLE, l1), 0);

    const uint64_t src = alloc_frame();
    gnttab_copy_t op{};
    op.source.u.gmfn = src;
    op.source.domid = DOMID_SELF;
    op.dest.u.gmfn = l1;
    op.dest.domid = DOMID_SELF;
    op.len = 8;
    expect_errno("grant copy into the L1", HYPERVISOR_grant_table_op(GNTTABOP_copy, &op, 1), 0);
    expect_gntst("its status", op.status, GNTST_general_error);
    op.dest.u.gmfn = l3;
    expect_errno("grant copy into the L3", HYPERVISOR_grant_table_op(GNTTABOP_copy, &op, 1), 0);
    expect_gntst("its status", op.status, GNTST_general_error);
    expect_value("extents released by decrease_reservation of the live L1", release_frame(l1), 0);
    expect_value("the scratch page's L1 afterwards", l1e_of(va) >> kPageShift, l1);
}

} // namespace enso::hostile
