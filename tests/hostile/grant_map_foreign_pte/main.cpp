// XSA-227: a grant map with GNTMAP_contains_pte names the PTE to write by
// machine address, so that address must be a free slot of one of the
// caller's own L1 tables. With a read-only grant the victim made for it
// (kArgRef, mapped read-only: the grant itself is in order), it
// names a slot of the victim's L4, a slot of its own L4, a misaligned slot,
// a data frame, an address past machine memory and a slot holding a grant
// PTE: each is GNTST_general_error, and the victim's table is untouched.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa227_unchecked_pte_address.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "grant_map_foreign_pte";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const auto ref = static_cast<grant_ref_t>(a[kArgRef]);
    const uint64_t victim_l4 = a[kArgVictimL4] << kPageShift;
    const uint64_t va = scratch_page(0);
    const uint64_t l1e = l1e_of(va);
    constexpr uint32_t kPte = GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly;
    grant_handle_t h = 0;

    expect_gntst("a slot of the victim's L4", grant_map(victim, ref, kPte, victim_l4 + 300 * 8, &h),
                 GNTST_general_error);
    expect_gntst("a slot of its own L4", grant_map(victim, ref, kPte, current_root() + 300 * 8, &h),
                 GNTST_general_error);
    expect_gntst("a misaligned slot of its L1", grant_map(victim, ref, kPte, l1e + 4, &h),
                 GNTST_general_error);
    expect_gntst("a data frame", grant_map(victim, ref, kPte, alloc_frame() << kPageShift, &h),
                 GNTST_general_error);
    expect_gntst("past machine memory", grant_map(victim, ref, kPte, 1ULL << 44, &h),
                 GNTST_general_error);
    expect_gntst("machine address 0", grant_map(victim, ref, kPte, 0, &h), GNTST_general_error);
    expect_gntst("an unmapped virtual address",
                 grant_map(victim, ref, GNTMAP_host_map | GNTMAP_readonly,
                           abi::kScratchVa + (7ULL << 30), &h),
                 GNTST_general_error);
    expect_gntst("its own free L1 slot (allowed)", grant_map(victim, ref, kPte, l1e, &h),
                 GNTST_okay);
    grant_handle_t h2 = 0;
    expect_gntst("the slot again, now holding that grant's PTE",
                 grant_map(victim, ref, kPte, l1e, &h2), GNTST_general_error);
    expect_gntst("unmap", grant_unmap(h, l1e), GNTST_okay);
}

} // namespace enso::hostile
