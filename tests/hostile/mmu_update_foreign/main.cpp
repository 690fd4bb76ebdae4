// mmu_update aimed outside its own frames: an entry of the victim's L4, the
// victim's data frame (mmu_update writes non-table frames as plain memory),
// frame 0, the core's pages it shares with the guest (shared_info, grant
// table), the victim as foreign domain, a machine address past the end of
// memory, and the unsupported request types.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "mmu_update_foreign";

void test_main(Args a) {
    using namespace guest;
    const uint64_t victim_l4 = a[kArgVictimL4] << kPageShift;
    const uint64_t victim_frame = a[kArgVictimFrame] << kPageShift;
    const uint64_t shared = start_info()->shared_info;
    const uint64_t gnttab = read_entry(l1e_of(abi::kGrantTableVa)) & kPteAddrMask;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);

    expect_errno("an entry of the victim's L4", mmu_update1(victim_l4 + 300 * 8, 0), -XEN_EPERM);
    expect_errno("a word of the victim's data frame", mmu_update1(victim_frame + 64, 0xbad),
                 -XEN_EPERM);
    expect_errno("a word of frame 0", mmu_update1(8, 0xbad), -XEN_EPERM);
    expect_errno("a word of its own shared_info", mmu_update1(shared + 0xf00, 0xbad), -XEN_EPERM);
    expect_errno("a word of its own grant table", mmu_update1(gnttab + 64, 0xbad), -XEN_EPERM);
    expect_errno("its own L4 entry, the victim as foreign domain",
                 mmu_update1(current_root() + 300 * 8, 0, victim), -XEN_EPERM);
    expect_errno("past the end of machine memory", mmu_update1(1ULL << 44, 0), -XEN_EINVAL);
    expect_errno("MMU_MACHPHYS_UPDATE", mmu_update1(victim_frame | MMU_MACHPHYS_UPDATE, 0),
                 -XEN_ENOSYS);
    expect_errno("request type 3", mmu_update1(victim_frame | 3, 0), -XEN_ENOSYS);
}

} // namespace enso::hostile
