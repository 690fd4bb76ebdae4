// Maps a grant the victim made for domain 0, not for it (args: kArgRef):
// read-write and read-only, by PTE and by address (GNTST_general_error);
// copies from it (the same); then a reference past the table
// (GNTST_bad_gntref), a domain that does not exist (GNTST_bad_domain) and
// an entry of its own table it never wrote (a self-grant must be made like
// any other: GNTST_general_error). Nothing is mapped afterwards.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "grant_map_not_addressed";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const auto ref = static_cast<grant_ref_t>(a[kArgRef]);
    const uint64_t va = scratch_page(0);
    const uint64_t l1e = l1e_of(va);
    grant_handle_t h = 0;

    expect_gntst("map it writable at an address", grant_map(victim, ref, GNTMAP_host_map, va, &h),
                 GNTST_general_error);
    expect_gntst("map it read-only at an address",
                 grant_map(victim, ref, GNTMAP_host_map | GNTMAP_readonly, va, &h),
                 GNTST_general_error);
    expect_gntst("map it into a PTE",
                 grant_map(victim, ref, GNTMAP_host_map | GNTMAP_contains_pte, l1e, &h),
                 GNTST_general_error);
    gnttab_copy_t op{};
    op.source.u.ref = ref;
    op.source.domid = victim;
    op.dest.u.gmfn = alloc_frame();
    op.dest.domid = DOMID_SELF;
    op.flags = GNTCOPY_source_gref;
    op.len = 64;
    expect_errno("copy from it", HYPERVISOR_grant_table_op(GNTTABOP_copy, &op, 1), 0);
    expect_gntst("the copy's status", op.status, GNTST_general_error);
    expect_gntst("a reference past the victim's table",
                 grant_map(victim, 5000, GNTMAP_host_map, va, &h), GNTST_bad_gntref);
    expect_gntst("reference 0xffffffff", grant_map(victim, 0xffffffffU, GNTMAP_host_map, va, &h),
                 GNTST_bad_gntref);
    expect_gntst("a domain that does not exist", grant_map(29, 8, GNTMAP_host_map, va, &h),
                 GNTST_bad_domain);
    expect_gntst("an entry of its own table it never wrote",
                 grant_map(DOMID_SELF, 8, GNTMAP_host_map, va, &h), GNTST_general_error);
    expect_value("the L1 entry afterwards", read_entry(l1e), 0);
}

} // namespace enso::hostile
