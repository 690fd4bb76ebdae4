// Grows grant tables past their limit and reaches for the victim's:
// setup_table of 5, 1000 and 2^32-1 frames (GNTST_general_error; the limit
// is 4), of the victim's table and query_size of it
// (GNTST_permission_denied), a frame list it cannot write
// (GNTST_bad_virt_addr) and a batch of 2^16 operations (-E2BIG). Growing
// its own table to the limit is allowed.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"

namespace enso::hostile {

const char test_title[] = "grant_table_grow";

namespace {

xen_pfn_t g_frames[8];

long setup(domid_t dom, uint32_t nr, xen_pfn_t* list, long* status) {
    gnttab_setup_table_t op{};
    op.dom = dom;
    op.nr_frames = nr;
    set_xen_guest_handle(op.frame_list, list);
    const long rc = guest::HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 1);
    *status = op.status;
    return rc;
}

} // namespace

void test_main(Args a) {
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    long st = 0;
    expect_errno("setup_table of 5 frames", setup(DOMID_SELF, 5, g_frames, &st), 0);
    expect_gntst("its status", st, GNTST_general_error);
    expect_errno("setup_table of 1000 frames", setup(DOMID_SELF, 1000, g_frames, &st), 0);
    expect_gntst("its status", st, GNTST_general_error);
    expect_errno("setup_table of 2^32-1 frames", setup(DOMID_SELF, 0xffffffffU, g_frames, &st), 0);
    expect_gntst("its status", st, GNTST_general_error);
    expect_errno("setup_table of the victim's table", setup(victim, 1, g_frames, &st), 0);
    expect_gntst("its status", st, GNTST_permission_denied);
    expect_errno("setup_table with a read-only frame list",
                 setup(DOMID_SELF, 2, reinterpret_cast<xen_pfn_t*>(abi::kMfnListVa), &st), 0);
    expect_gntst("its status", st, GNTST_bad_virt_addr);

    gnttab_query_size_t q{};
    q.dom = victim;
    expect_errno("query_size of the victim's table",
                 guest::HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1), 0);
    expect_gntst("its status", q.status, GNTST_permission_denied);
    expect_errno("a batch of 2^16 operations",
                 guest::HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1U << 16), -XEN_E2BIG);

    expect_errno("setup_table of 4 frames (the limit, allowed)",
                 setup(DOMID_SELF, 4, g_frames, &st), 0);
    expect_gntst("its status", st, GNTST_okay);
    q.dom = DOMID_SELF;
    expect_errno("query_size of its own",
                 guest::HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1), 0);
    expect_value("its frames", q.nr_frames, 4);
    expect_value("the most it may have", q.max_nr_frames, 4);
}

} // namespace enso::hostile
