// Maps its own page tables writable at a free address: its root L4, and the
// very L1 that holds the entry being written, through update_va_mapping and
// mmu_update (both validate the new entry in full). A writable mapping
// needs the frame typed writable, which a live page table never is:
// -EINVAL. A read-only mapping of a table is allowed, as in Xen.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "map_own_pagetable_rw";

void test_main(Args) {
    using namespace guest;
    const uint64_t va = scratch_page(0);
    const uint64_t l1e = l1e_of(va);
    const uint64_t root = current_root();
    const uint64_t l1 = l1e & kPteAddrMask;
    expect("a scratch page with an L1 entry", va != 0 && l1e != 0);

    expect_errno("update_va_mapping of its L4, writable",
                 HYPERVISOR_update_va_mapping(va, root | kPteData, UVMF_INVLPG), -XEN_EINVAL);
    expect_errno("update_va_mapping of the L1 that maps the address, writable",
                 HYPERVISOR_update_va_mapping(va, l1 | kPteData, UVMF_INVLPG), -XEN_EINVAL);
    expect_errno("mmu_update of the L1 entry to its L4, writable",
                 mmu_update1(l1e | MMU_NORMAL_PT_UPDATE, root | kPteData), -XEN_EINVAL);
    expect_errno("mmu_update (preserve A/D) of the L1 entry to its L1, writable",
                 mmu_update1(l1e | MMU_PT_UPDATE_PRESERVE_AD, l1 | kPteData), -XEN_EINVAL);
    expect_value("the L1 entry after the refusals", read_entry(l1e), 0);

    expect_errno("update_va_mapping of its L4, read-only (allowed)",
                 HYPERVISOR_update_va_mapping(va, root | kPteP | kPteUS | kPteNX, UVMF_INVLPG), 0);
    expect_value("the L4's first entry read through that mapping",
                 *reinterpret_cast<volatile uint64_t*>(va), read_entry(root));
    expect_errno("unmapping it", HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG), 0);
}

} // namespace enso::hostile
