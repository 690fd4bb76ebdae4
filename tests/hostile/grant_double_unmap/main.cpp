// XSA-218: a mapping put twice. Maps a writable grant of the victim
// (kArgRef), unmaps it, then unmaps the same handle again, with and without
// an address, and in one batch with a fresh mapping's handle twice: every
// second unmap is GNTST_bad_handle, and no reference is dropped twice (the
// driver's invariant check, and the victim ending its grant afterwards).
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa218_unmap_keeps_handle.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "grant_double_unmap";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const auto ref = static_cast<grant_ref_t>(a[kArgRef]);
    const uint64_t va = scratch_page(0);
    grant_handle_t h = 0;

    expect_gntst("map the grant writable", grant_map(victim, ref, GNTMAP_host_map, va, &h),
                 GNTST_okay);
    *reinterpret_cast<volatile uint64_t*>(va) = 0x4841434b; // it may write a writable grant
    expect_gntst("unmap", grant_unmap(h, va), GNTST_okay);
    expect_gntst("unmap the same handle again", grant_unmap(h, va), GNTST_bad_handle);
    expect_gntst("and again, without an address", grant_unmap(h, 0), GNTST_bad_handle);

    expect_gntst("map it again", grant_map(victim, ref, GNTMAP_host_map, va, &h), GNTST_okay);
    gnttab_unmap_grant_ref_t ops[2] = {};
    ops[0].host_addr = va;
    ops[0].handle = h;
    ops[1] = ops[0];
    expect_errno("one batch unmapping that handle twice",
                 HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, ops, 2), 0);
    expect_gntst("the first unmap", ops[0].status, GNTST_okay);
    expect_gntst("the second unmap", ops[1].status, GNTST_bad_handle);
    expect_value("the L1 entry afterwards", read_entry(l1e_of(va)), 0);
}

} // namespace enso::hostile
