// XSA-234: a read-only unmap must not drop a writable reference. Maps one
// writable grant of the victim twice, writable (va1) and read-only (va2),
// unmaps the read-only one, and still writes through va1; a read-only
// handle cannot remove the writable mapping; then everything is unmapped.
// What each unmap releases is what its handle recorded (the driver checks
// the counts with the invariant checker).
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa234_unmap_wrong_kind.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "grant_unmap_mode";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const auto ref = static_cast<grant_ref_t>(a[kArgRef]);
    const uint64_t va1 = scratch_page(0);
    const uint64_t va2 = scratch_page(1);
    grant_handle_t rw = 0;
    grant_handle_t ro = 0;

    expect_gntst("map writable at va1", grant_map(victim, ref, GNTMAP_host_map, va1, &rw),
                 GNTST_okay);
    expect_gntst("map read-only at va2",
                 grant_map(victim, ref, GNTMAP_host_map | GNTMAP_readonly, va2, &ro), GNTST_okay);
    expect_gntst("unmap the read-only mapping", grant_unmap(ro, va2), GNTST_okay);
    auto* p = reinterpret_cast<volatile uint64_t*>(va1);
    p[1] = 0x1234abcd;
    expect_value("a write through the writable mapping reads back", p[1], 0x1234abcd);
    expect_gntst("map read-only at va2 again",
                 grant_map(victim, ref, GNTMAP_host_map | GNTMAP_readonly, va2, &ro), GNTST_okay);
    expect_gntst("remove the writable mapping with the read-only handle", grant_unmap(ro, va1),
                 GNTST_general_error);
    expect("va1 is still writable", (read_entry(l1e_of(va1)) & kPteRW) != 0);
    expect_gntst("unmap the read-only handle", grant_unmap(ro, va2), GNTST_okay);
    expect_gntst("unmap the writable handle", grant_unmap(rw, va1), GNTST_okay);
    expect_gntst("a fresh writable map", grant_map(victim, ref, GNTMAP_host_map, va1, &rw),
                 GNTST_okay);
    expect_gntst("and its unmap", grant_unmap(rw, va1), GNTST_okay);
}

} // namespace enso::hostile
