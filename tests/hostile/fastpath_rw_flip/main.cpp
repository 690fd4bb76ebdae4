// XSA-182: an update that changes only "harmless" bits of a present entry
// may skip revalidation, but RW is not one of them. Takes the read-only
// phys-map mapping of its own L4 and of an L1, and sets just RW - with
// mmu_update, with MMU_PT_UPDATE_PRESERVE_AD, with update_va_mapping, and
// together with A/D changes - each must be revalidated and refused. A change
// of A alone takes the fast path and is allowed.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa182_fast_path_rw.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "fastpath_rw_flip";

namespace {

void flip(const char* which, uint64_t table) {
    using namespace guest;
    const uint64_t va = abi::kPhysMapVa + table;
    const uint64_t e = l1e_of(va);
    const uint64_t pte = read_entry(e);
    expect("the table's phys-map mapping is present and read-only",
           (pte & kPteP) != 0 && (pte & kPteRW) == 0 && (pte & kPteAddrMask) == table);
    info("%s: entry %lx = %lx", which, e, pte);
    expect_errno("mmu_update setting only RW", mmu_update1(e | MMU_NORMAL_PT_UPDATE, pte | kPteRW),
                 -XEN_EINVAL);
    expect_errno("mmu_update (preserve A/D) setting only RW",
                 mmu_update1(e | MMU_PT_UPDATE_PRESERVE_AD, pte | kPteRW), -XEN_EINVAL);
    expect_errno("update_va_mapping setting only RW",
                 HYPERVISOR_update_va_mapping(va, pte | kPteRW, UVMF_INVLPG), -XEN_EINVAL);
    expect_errno("mmu_update setting RW with A and D",
                 mmu_update1(e | MMU_NORMAL_PT_UPDATE, pte | kPteRW | kPteA | kPteD), -XEN_EINVAL);
    expect("the entry is still read-only", (read_entry(e) & kPteRW) == 0);
    expect_errno("mmu_update setting only A (the fast path, allowed)",
                 mmu_update1(e | MMU_NORMAL_PT_UPDATE, pte | kPteA), 0);
    expect_value("the entry after the fast path", read_entry(e), pte | kPteA);
}

} // namespace

void test_main(Args) {
    using namespace guest;
    const uint64_t va = scratch_page(0);
    flip("its L4", current_root());
    flip("its scratch L1", l1e_of(va) & kPteAddrMask);
}

} // namespace enso::hostile
