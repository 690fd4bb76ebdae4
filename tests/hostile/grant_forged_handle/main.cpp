// XSA-224, XSA-234: unmaps with handles it was never given (0, 1023, 1024,
// 0xffffffff: GNTST_bad_handle), and with a real handle but the address of
// another mapping - a free page, its own data page, a second mapping of the
// same grant (GNTST_general_error: the mapping removed must be the one the
// handle made). The right unmaps then succeed.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa224_release_keeps_type_ref.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "grant_forged_handle";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const auto ref = static_cast<grant_ref_t>(a[kArgRef]);
    const uint64_t va1 = scratch_page(0);
    const uint64_t va2 = scratch_page(1);
    const uint64_t free_va = scratch_page(2);

    expect_gntst("unmap handle 0, never issued", grant_unmap(0, va1), GNTST_bad_handle);
    expect_gntst("unmap handle 1023", grant_unmap(1023, 0), GNTST_bad_handle);
    expect_gntst("unmap handle 1024 (past the table)", grant_unmap(1024, 0), GNTST_bad_handle);
    expect_gntst("unmap handle 0xffffffff", grant_unmap(0xffffffffU, 0), GNTST_bad_handle);

    grant_handle_t h1 = 0;
    grant_handle_t h2 = 0;
    expect_gntst("map at va1", grant_map(victim, ref, GNTMAP_host_map, va1, &h1), GNTST_okay);
    expect_gntst("map again at va2", grant_map(victim, ref, GNTMAP_host_map, va2, &h2), GNTST_okay);
    expect_gntst("unmap va1's handle at a free page", grant_unmap(h1, free_va),
                 GNTST_general_error);
    expect_gntst("unmap va1's handle at its own stack page", grant_unmap(h1, abi::kStackTopVa - 8),
                 GNTST_general_error);
    expect_gntst("unmap va1's handle at va2", grant_unmap(h1, va2), GNTST_general_error);
    expect("va2 is still mapped", (read_entry(l1e_of(va2)) & kPteP) != 0);
    expect_gntst("unmap va1's handle at va1", grant_unmap(h1, va1), GNTST_okay);
    expect_gntst("unmap va2's handle at va2", grant_unmap(h2, va2), GNTST_okay);
    expect_value("va1's entry afterwards", read_entry(l1e_of(va1)), 0);
    expect_value("va2's entry afterwards", read_entry(l1e_of(va2)), 0);
}

} // namespace enso::hostile
