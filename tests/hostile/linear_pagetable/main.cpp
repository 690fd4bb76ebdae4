// XSA-185, XSA-240, XSA-286: recursive ("linear") page-table entries, which
// would hand a guest writable views of its own tables. Enso refuses them
// altogether: an L4 slot pointing at the L4 itself (read-only and
// writable), an L3 and an L2 entry pointing at their own table, and an L3
// entry pointing up at the L4. All -EINVAL, and the slots stay empty.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa185_recursive_l4.cpp, verify/mutants/xsa240_linear_page_table.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "linear_pagetable";

void test_main(Args) {
    using namespace guest;
    const uint64_t va = scratch_page(0);
    const uint64_t root = current_root();
    const uint64_t l3 = entry_maddr(va, 3) & ~(abi::kPageSize - 1);
    const uint64_t l2 = entry_maddr(va, 2) & ~(abi::kPageSize - 1);
    expect("scratch tables down to L1", va != 0 && l1e_of(va) != 0);
    constexpr uint64_t kRO = kPteP | kPteUS;

    expect_errno("L4[300] -> the L4 itself, read-only", mmu_update1(root + 300 * 8, root | kRO),
                 -XEN_EINVAL);
    expect_errno("L4[300] -> the L4 itself, writable",
                 mmu_update1(root + 300 * 8, root | kPteTable), -XEN_EINVAL);
    expect_errno("L3[100] -> the L3 itself", mmu_update1(l3 + 100 * 8, l3 | kPteTable),
                 -XEN_EINVAL);
    expect_errno("L2[100] -> the L2 itself", mmu_update1(l2 + 100 * 8, l2 | kPteTable),
                 -XEN_EINVAL);
    expect_errno("L3[101] -> the L4", mmu_update1(l3 + 101 * 8, root | kRO), -XEN_EINVAL);
    expect_errno("L2[101] -> the L3", mmu_update1(l2 + 101 * 8, l3 | kRO), -XEN_EINVAL);
    expect_value("L4[300] afterwards", read_entry(root + 300 * 8), 0);
    expect_value("L3[100] afterwards", read_entry(l3 + 100 * 8), 0);
    expect_value("L2[100] afterwards", read_entry(l2 + 100 * 8), 0);
}

} // namespace enso::hostile
