// XSA-148: PV guests get no superpages. Writes PSE entries at L2 (2 MiB),
// L3 (1 GiB) and L4, over frames of its own and of others, and sets PSE on
// a present L2 entry whose other bits stay as they are (the fast path must
// not let it through); then flags an L1 entry may not carry (PAT, PCD, PWT,
// G). Every one is -EINVAL.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa148_superpage_fast_path.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "superpage_entry";

namespace {

constexpr uint64_t kPse = 1ULL << 7;
constexpr uint64_t kPcd = 1ULL << 4;
constexpr uint64_t kPwt = 1ULL << 3;
constexpr uint64_t kGlobal = 1ULL << 8;

} // namespace

void test_main(Args a) {
    using namespace guest;
    const uint64_t va = scratch_page(0);
    const uint64_t l1e = l1e_of(va);
    // The scratch L2's entry for the window L1 is present; one 2 MiB on is not.
    const uint64_t l2e = entry_maddr(va, 2);
    const uint64_t free_l2e = l2e + 8 * 8;
    const uint64_t l3e = entry_maddr(va, 3) + 8 * 3;
    const uint64_t l4e = current_root() + 8 * 300;
    const uint64_t victim = a[kArgVictimFrame] << kPageShift;
    const uint64_t own = (l1e & kPteAddrMask) & ~((1ULL << 21) - 1);
    expect("scratch tables down to L1", va != 0 && l1e != 0 && (read_entry(l2e) & kPteP) != 0);

    expect_errno("a 2 MiB L2 entry over machine address 0",
                 mmu_update1(free_l2e, 0 | kPteTable | kPse), -XEN_EINVAL);
    expect_errno("a 2 MiB L2 entry over its own frames",
                 mmu_update1(free_l2e, own | kPteTable | kPse), -XEN_EINVAL);
    expect_errno("a 2 MiB L2 entry over the victim's frame",
                 mmu_update1(free_l2e, (victim & ~((1ULL << 21) - 1)) | kPteTable | kPse),
                 -XEN_EINVAL);
    expect_errno("a 1 GiB L3 entry", mmu_update1(l3e, 0 | kPteTable | kPse), -XEN_EINVAL);
    expect_errno("a PSE L4 entry", mmu_update1(l4e, 0 | kPteTable | kPse), -XEN_EINVAL);
    const uint64_t present = read_entry(l2e);
    expect_errno("PSE set on a present L2 entry, nothing else changed",
                 mmu_update1(l2e, present | kPse), -XEN_EINVAL);
    expect_value("that L2 entry afterwards", read_entry(l2e), present);

    // Any own frame will do for the leaves: read-only, so even a table.
    const uint64_t leaf = current_root() | kPteP | kPteUS | kPteNX;
    expect_errno("an L1 entry with PAT", mmu_update1(l1e, leaf | kPse), -XEN_EINVAL);
    expect_errno("an L1 entry with PCD", mmu_update1(l1e, leaf | kPcd), -XEN_EINVAL);
    expect_errno("an L1 entry with PWT", mmu_update1(l1e, leaf | kPwt), -XEN_EINVAL);
    expect_errno("an L1 entry with G", mmu_update1(l1e, leaf | kGlobal), -XEN_EINVAL);
    expect_errno("the L1 entry, plain (allowed)", mmu_update1(l1e, leaf), 0);
    expect_errno("adding PCD to it (not a fast-path bit)", mmu_update1(l1e, leaf | kPcd),
                 -XEN_EINVAL);
    expect_errno("unmapping it", mmu_update1(l1e, 0), 0);
}

} // namespace enso::hostile
